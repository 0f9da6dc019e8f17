"""The occurrences of a series (or of a proposed one, ``SeriesInput``): its rule expanded
within the caps, each occurrence checked with the single-lesson rules and against other
lessons, and the series' lessons. Which lesson is which occurrence, and the exceptions a
cancelled one leaves: ``thebot.scheduling.exdates``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import Conflict, Invalid
from thebot.scheduling import rules
from thebot.scheduling.conflicts import conflict_payload, find_conflicts, lock_participants
from thebot.scheduling.models import Lesson, LessonSeries
from thebot.scheduling.rrule import (
    Rule,
    RuleError,
    check_caps,
    expand,
    parse_exdates,
    parse_rule,
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


def caps(settings: Mapping[str, Any]) -> tuple[int, int]:
    occurrences = settings.get("series_max_occurrences") or DEFAULT_MAX_OCCURRENCES
    days = settings.get("series_max_days") or DEFAULT_MAX_DAYS
    return int(occurrences), int(days)


def rule_problem(exc: RuleError, name: str = "rrule") -> Invalid:
    return Invalid(name, str(exc))


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
    except Invalid as exc:
        for error in exc.errors or []:
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


def series_conflict_problem(clashes: Sequence[tuple[Occurrence, list[Lesson]]]) -> Conflict:
    count = len(clashes)
    return Conflict(
        f"{count} occurrence{'s' if count != 1 else ''} of the series would overlap other "
        "lessons of the teacher or the student; nothing was changed.",
        conflicts=[occ.payload(found) for occ, found in clashes],
    )
