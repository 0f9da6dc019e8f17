"""Recurring lesson series: create one and materialise its lessons, who sees a series, and
its representation.

A series stores its RRULE, its first occurrence as a naive local wall-clock time
(``start_local``) in its IANA ``timezone``, a duration and its exceptions (``exdates``: local
wall-clock times of cancelled occurrences, ``thebot.scheduling.exdates``). Each occurrence
becomes a ``Lesson`` with ``series_id`` and ``occurrence_start`` (the original start,
iCalendar's RECURRENCE-ID). Every occurrence is checked with the single-lesson rules
(``occurrences``). An occurrence that would overlap another lesson of the teacher or the
student is reported and not created; with ``atomic`` the whole series is refused (409 listing
every conflict). Each change records ``SeriesChanged`` (``announce``): its subscribers tell
the people concerned and refresh the dashboards. Editing and cancelling with a scope:
``scopes``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.events import record
from thebot.scheduling.events import SeriesChanged
from thebot.scheduling.lessons import service as lessons
from thebot.scheduling.lessons import visibility as seen
from thebot.scheduling.models import Lesson, LessonSeries
from thebot.scheduling.rrule import RuleError, parse_rule, to_local, to_utc
from thebot.scheduling.series.occurrences import (
    Occurrence,
    SeriesInput,
    check_overlaps,
    checked_occurrences,
    occurrence,
    occurrences_of,
    rule_problem,
    series_conflict_problem,
    validate_occurrence,
)


@dataclass
class CreateResult:
    series: LessonSeries
    lessons: list[Lesson] = field(default_factory=list)
    skipped: list[tuple[Occurrence, list[Lesson]]] = field(default_factory=list)


def add_lesson(
    dbsession: Session,
    actor: User,
    series: LessonSeries,
    occ: Occurrence,
    *,
    override_used: bool,
) -> Lesson:
    data = lessons.LessonInput(
        teacher_id=series.teacher_id,
        student_id=series.student_id,
        subject_id=series.subject_id,
        start=occ.start,
        end=occ.end,
        timezone=series.timezone,
        description=series.description,
        meeting_link=series.meeting_link or None,
        override_enrollment=override_used,
    )
    return lessons.insert_lesson(
        dbsession,
        actor,
        data,
        override_used=override_used,
        series_id=series.id,
        occurrence_start=occ.start,
    )


def announce(
    dbsession: Session,
    series: LessonSeries,
    actor: User,
    *,
    booked: Sequence[Lesson] = (),
    skipped: int = 0,
    rescheduled: Sequence[Lesson] = (),
    cancelled: Sequence[Lesson] = (),
    one_by_one: bool = False,
    old: Mapping[str, dt.datetime] | None = None,
) -> None:
    """Record ``SeriesChanged``: subscribers tell the people concerned (one notification for
    the series, or per lesson ``one_by_one``, moved from ``old``) and refresh dashboards."""
    event = SeriesChanged(
        series_id=series.id,
        teacher_id=series.teacher_id,
        student_id=series.student_id,
        actor_id=actor.id,
        booked_ids=tuple(x.id for x in booked),
        skipped=skipped,
        rescheduled_ids=tuple(x.id for x in rescheduled),
        cancelled_ids=tuple(x.id for x in cancelled),
        one_by_one=one_by_one,
        old_start=old["start"].isoformat() if old else "",
        old_end=old["end"].isoformat() if old else "",
    )
    record(dbsession, event)


# --- create ------------------------------------------------------------------------------


def create_series(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    data: SeriesInput,
    now: dt.datetime,
    *,
    atomic: bool = False,
) -> CreateResult:
    """Check every occurrence, then create the series and its conflict-free lessons."""
    try:
        rule = parse_rule(data.rrule, data.timezone)
    except RuleError as exc:
        raise rule_problem(exc) from exc
    start_local = to_local(data.start, data.timezone).replace(microsecond=0)
    found = checked_occurrences(settings, rule, start_local, data.timezone)
    wanted = [occurrence(t, data.timezone, data.duration_minutes) for t in found]
    participants = lessons.load_participants(
        dbsession, data.teacher_id, data.student_id, actor=actor
    )
    override_used = False
    for occ in wanted:
        override_used = validate_occurrence(
            dbsession,
            settings,
            actor,
            participants,
            data,
            occ,
            now,
            override_enrollment=data.override_enrollment,
        )
    checked = check_overlaps(dbsession, data, wanted)
    clashes = [(occ, conflicts) for occ, conflicts in checked if conflicts]
    if clashes and (atomic or len(clashes) == len(wanted)):
        raise series_conflict_problem(clashes)
    series = LessonSeries(
        teacher_id=data.teacher_id,
        student_id=data.student_id,
        subject_id=data.subject_id,
        rrule=rule.text(),
        start_local=found[0],  # the first real occurrence (RFC 5545's DTSTART)
        timezone=data.timezone,
        duration_minutes=data.duration_minutes,
        exdates=[],
        description=data.description,
        meeting_link=data.meeting_link or None,
        is_active=True,
        created_by_id=actor.id,
    )
    dbsession.add(series)
    dbsession.flush()
    result = CreateResult(series=series, skipped=clashes)
    for occ, conflicts in checked:
        if not conflicts:
            result.lessons.append(
                add_lesson(dbsession, actor, series, occ, override_used=override_used)
            )
    announce(dbsession, series, actor, booked=result.lessons, skipped=len(result.skipped))
    return result


# --- who ---------------------------------------------------------------------------------


def visible_series_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause on ``LessonSeries``: the same people see a series as see its lessons."""
    return seen.visible_clause(viewer, LessonSeries.teacher_id, LessonSeries.student_id)


# --- representation ----------------------------------------------------------------------


def last_start(series: LessonSeries) -> str | None:
    """When the series' last occurrence (exceptions aside) starts, in its time zone."""
    found = occurrences_of(series)
    if not found:
        return None
    return found[-1].start.astimezone(zoneinfo.ZoneInfo(series.timezone)).isoformat()


def series_json(
    series: LessonSeries, lessons_json: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The series; with ``lessons_json`` (``lesson_data.lessons_json``) its lessons too."""
    first = to_utc(series.start_local, series.timezone).astimezone(
        zoneinfo.ZoneInfo(series.timezone)
    )
    body: dict[str, Any] = {
        "id": series.id,
        "teacher_id": series.teacher_id,
        "student_id": series.student_id,
        "subject_id": series.subject_id,
        "rrule": series.rrule,
        "start": first.isoformat(),
        "local_start": series.start_local.isoformat(),
        "last_start": last_start(series),
        "timezone": series.timezone,
        "duration_minutes": series.duration_minutes,
        "exdates": list(series.exdates or []),
        "description": series.description,
        "meeting_link": series.meeting_link,
        "is_active": series.is_active,
        "created_by_id": series.created_by_id,
        "created_at": series.created_at.isoformat(),
        "updated_at": series.updated_at.isoformat(),
    }
    if lessons_json is not None:
        body["lessons"] = list(lessons_json)
    return body
