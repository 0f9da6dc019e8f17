"""Recurring lesson series: create one and materialise its lessons; the shared helpers.

A series stores its RRULE, its first occurrence as a naive local wall-clock time
(``start_local``) in its IANA ``timezone``, a duration and its exceptions (``exdates``: local
wall-clock times of cancelled occurrences). Each occurrence becomes a ``Lesson`` with
``series_id`` and ``occurrence_start`` (the original start, iCalendar's RECURRENCE-ID).
A lesson's occurrence is identified by the local *date* of its ``occurrence_start``: a weekly
rule has at most one occurrence a day, and the date survives changes of the time of day.

Every occurrence is checked with the single-lesson rules (``rules.validate_slot``). An
occurrence that would overlap another lesson of the teacher or the student is reported and
not created; with ``atomic`` the whole series is refused (409 listing every conflict).
Editing and cancelling with a scope: ``thebot.scheduling.series.scopes``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts.models import Role, User
from thebot.accounts.relationships import visibility as people
from thebot.errors import APIProblem
from thebot.scheduling import rules
from thebot.scheduling.conflicts import conflict_payload, find_conflicts, lock_participants
from thebot.scheduling.lessons import service as lessons
from thebot.scheduling.models import Lesson, LessonSeries
from thebot.scheduling.series.rrule import (
    Rule,
    RuleError,
    check_caps,
    exdate_text,
    expand,
    parse_exdates,
    parse_rule,
    to_local,
    to_utc,
)

DEFAULT_MAX_OCCURRENCES = 52
DEFAULT_MAX_DAYS = 366


@dataclass(frozen=True)
class SeriesInput:
    """A series as a create request describes it (``teacher_id`` already defaulted)."""

    teacher_id: int
    student_id: int
    subject_id: int
    start: dt.datetime  # aware: the first occurrence (its wall-clock time is kept)
    timezone: str
    duration_minutes: int
    rrule: str
    description: str = ""
    meeting_link: str | None = None
    override_enrollment: bool = False


@dataclass(frozen=True)
class Occurrence:
    local: dt.datetime  # naive wall-clock time in the series' time zone
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC

    def payload(self, conflicts: Sequence[Lesson] = ()) -> dict[str, Any]:
        body: dict[str, Any] = {
            "local_start": self.local.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }
        if conflicts:
            body["conflicts"] = [conflict_payload(c) for c in conflicts]
        return body


@dataclass
class CreateResult:
    series: LessonSeries
    lessons: list[Lesson] = field(default_factory=list)
    skipped: list[tuple[Occurrence, list[Lesson]]] = field(default_factory=list)


# --- rules, occurrences ----------------------------------------------------------------------


def caps(settings: Mapping[str, Any]) -> tuple[int, int]:
    occurrences = settings.get("series_max_occurrences") or DEFAULT_MAX_OCCURRENCES
    days = settings.get("series_max_days") or DEFAULT_MAX_DAYS
    return int(occurrences), int(days)


def rule_problem(exc: RuleError, name: str = "rrule") -> APIProblem:
    return rules.invalid([rules.field_error(name, str(exc))])


def load_rule(series: LessonSeries) -> Rule:
    return parse_rule(series.rrule, series.timezone)


def checked_occurrences(
    settings: Mapping[str, Any], rule: Rule, start_local: dt.datetime, timezone: str
) -> list[dt.datetime]:
    """The rule's occurrences (no exceptions), within the caps; 400 otherwise."""
    max_occurrences, max_days = caps(settings)
    try:
        found = expand(rule, start_local, timezone, limit=max_occurrences + 1)
        check_caps(found, max_occurrences, max_days)
    except RuleError as exc:
        raise rule_problem(exc) from exc
    return found


def occurrence(local: dt.datetime, timezone: str, duration_minutes: int) -> Occurrence:
    start = to_utc(local, timezone)
    return Occurrence(local, start, start + dt.timedelta(minutes=duration_minutes))


def occurrences_of(series: LessonSeries) -> list[Occurrence]:
    """The series' current occurrences, exceptions removed."""
    exdates = parse_exdates(series.exdates or [])
    found = expand(load_rule(series), series.start_local, series.timezone, exdates)
    return [occurrence(t, series.timezone, series.duration_minutes) for t in found]


def occurrence_date(series: LessonSeries, lesson: Lesson) -> dt.date:
    """Which occurrence ``lesson`` is: the local date of its original start."""
    return to_local(lesson.occurrence_start or lesson.start_at, series.timezone).date()


def series_lessons(dbsession: Session, series: LessonSeries) -> list[Lesson]:
    stmt = (
        select(Lesson)
        .where(Lesson.series_id == series.id)
        .order_by(Lesson.occurrence_start, Lesson.start_at, Lesson.id)
    )
    return list(dbsession.scalars(stmt))


def validate_occurrence(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    participants: tuple[User | None, User | None],
    series: LessonSeries | SeriesInput,
    occ: Occurrence,
    now: dt.datetime,
    *,
    override_enrollment: bool = False,
    require_enrollment: bool = True,
) -> bool:
    """``rules.validate_slot`` for one occurrence; a too short or long slot names the
    series' ``duration_minutes``, and the first failing occurrence is named."""
    teacher, student = participants
    try:
        return rules.validate_slot(
            dbsession,
            settings,
            actor=actor,
            teacher=teacher,
            student=student,
            subject_id=series.subject_id,
            start=occ.start,
            end=occ.end,
            timezone=series.timezone,
            meeting_link=series.meeting_link or None,
            now=now,
            override_enrollment=override_enrollment,
            require_enrollment=require_enrollment,
        )
    except APIProblem as exc:
        errors = exc.kwargs.get("errors")
        if exc.status != 400 or not errors:
            raise
        for error in errors:
            if error.get("name") == "end":
                error["name"] = "duration_minutes"
            if error.get("name") in ("start", "duration_minutes"):
                error["description"] += f" (occurrence {occ.local.isoformat()})"
        raise


def check_overlaps(
    dbsession: Session,
    series: LessonSeries | SeriesInput,
    wanted: Sequence[Occurrence],
    *,
    exclude_ids: Sequence[int] = (),
) -> list[tuple[Occurrence, list[Lesson]]]:
    """Lock both participants, then list each occurrence's conflicting lessons (or ``[]``)."""
    lock_participants(dbsession, [series.teacher_id, series.student_id])
    found = []
    for occ in wanted:
        conflicts = find_conflicts(
            dbsession,
            teacher_id=series.teacher_id,
            student_id=series.student_id,
            start=occ.start,
            end=occ.end,
            exclude_ids=exclude_ids,
        )
        found.append((occ, conflicts))
    return found


def series_conflict_problem(clashes: Sequence[tuple[Occurrence, list[Lesson]]]) -> APIProblem:
    count = len(clashes)
    return APIProblem(
        409,
        f"{count} occurrence{'s' if count != 1 else ''} of the series would overlap other "
        "lessons of the teacher or the student; nothing was changed.",
        conflicts=[occ.payload(found) for occ, found in clashes],
    )


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
    return result


# --- exceptions --------------------------------------------------------------------------


def exdate_for(series: LessonSeries, day: dt.date) -> str:
    return exdate_text(dt.datetime.combine(day, series.start_local.time()))


def record_exception(dbsession: Session, lesson: Lesson) -> None:
    """A cancelled occurrence leaves an EXDATE on its series (call after cancelling it)."""
    if lesson.series_id is None:
        return
    series = dbsession.get(LessonSeries, lesson.series_id)
    if series is None:
        return
    value = exdate_for(series, occurrence_date(series, lesson))
    if value not in (series.exdates or []):
        # A new list: the JSON column only notices assignment.
        series.exdates = sorted([*(series.exdates or []), value])
        dbsession.flush()


# --- who ---------------------------------------------------------------------------------


def visible_series_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause on ``LessonSeries``: the same people see a series as see its lessons."""
    if not viewer.is_active:
        return false()
    if viewer.role == Role.ADMIN.value:
        return true()
    if viewer.role == Role.TEACHER.value:
        return LessonSeries.teacher_id == viewer.id
    if viewer.role == Role.TUTOR.value:
        return or_(
            LessonSeries.teacher_id == viewer.id,
            LessonSeries.student_id.in_(people.tutored_by(viewer.id)),
        )
    if viewer.role == Role.STUDENT.value:
        return LessonSeries.student_id == viewer.id
    if viewer.role == Role.PARENT.value:
        return LessonSeries.student_id.in_(people.children_of(viewer.id))
    return false()


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
