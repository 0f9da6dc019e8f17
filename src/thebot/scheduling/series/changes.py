"""Changing a series' rule, time, duration or content for every future occurrence
(``apply_all``: scope ``all``, and ``following`` after ``split``), all or nothing.

Lessons that have started or ended, and cancelled ones, are left alone; a future lesson whose
date the new rule no longer has is cancelled; a future date the new rule adds gets a new
lesson. The caller (``scopes``) records the ``SeriesChanged`` event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import Forbidden, Invalid
from thebot.scheduling import rules
from thebot.scheduling.exdates import exdate_for, occurrence_date
from thebot.scheduling.lessons import changes as lesson_changes
from thebot.scheduling.lessons import service as lessons
from thebot.scheduling.lessons import states as lesson_states
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson, LessonSeries
from thebot.scheduling.rrule import RuleError, occurrences_before, parse_rule, to_utc
from thebot.scheduling.series.occurrences import (
    SeriesInput,
    check_overlaps,
    checked_occurrences,
    load_rule,
    occurrence,
    rule_problem,
    series_conflict_problem,
    series_lessons,
    validate_occurrence,
)
from thebot.scheduling.series.service import add_lesson

CONTENT = ("description", "meeting_link")
DROPPED_REASON = "No longer an occurrence of its series"


@dataclass
class ScopeResult:
    series: LessonSeries  # the series the changed occurrences belong to now
    changed: list[Lesson] = field(default_factory=list)
    created: list[Lesson] = field(default_factory=list)
    cancelled: list[Lesson] = field(default_factory=list)
    kept: list[Lesson] = field(default_factory=list)  # too close to their start to cancel


def split(dbsession: Session, actor: User, series: LessonSeries, day: dt.date) -> LessonSeries:
    """End ``series`` before its occurrence on ``day``; a new series continues from there
    with the later lessons and exceptions."""
    rule = load_rule(series)
    first = dt.datetime.combine(day, series.start_local.time())
    boundary = to_utc(first, series.timezone) - dt.timedelta(seconds=1)
    rest = rule
    if rule.count is not None:
        done = occurrences_before(rule, series.start_local, series.timezone, day)
        rest = rule.with_count(rule.count - done)
    exdates = list(series.exdates or [])
    later = [x for x in exdates if dt.datetime.fromisoformat(x).date() >= day]
    successor = LessonSeries(
        teacher_id=series.teacher_id,
        student_id=series.student_id,
        subject_id=series.subject_id,
        rrule=rest.text(),
        start_local=first,
        timezone=series.timezone,
        duration_minutes=series.duration_minutes,
        exdates=later,
        description=series.description,
        meeting_link=series.meeting_link,
        is_active=True,
        created_by_id=actor.id,
    )
    series.rrule = rule.with_until(boundary).text()
    series.exdates = [x for x in exdates if x not in later]
    dbsession.add(successor)
    dbsession.flush()
    for lesson in series_lessons(dbsession, series):
        if occurrence_date(series, lesson) >= day:
            lesson.series_id = successor.id
            lessons.record_history(
                dbsession,
                lesson,
                "updated",
                actor,
                {"series_id": series.id},
                {"series_id": successor.id},
            )
    dbsession.flush()
    return successor


def apply_all(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    series: LessonSeries,
    changes: Mapping[str, Any],
    now: dt.datetime,
) -> ScopeResult:
    """Change the series and every occurrence that has not started (see the module doc)."""
    try:
        rule = parse_rule(changes["rrule"], series.timezone) if "rrule" in changes else None
    except RuleError as exc:
        raise rule_problem(exc) from exc
    rule = rule or load_rule(series)
    clock = changes.get("start_time") or series.start_local.time()
    start_local = dt.datetime.combine(series.start_local.date(), clock)
    duration = changes.get("duration_minutes", series.duration_minutes)
    link = changes["meeting_link"] or None if "meeting_link" in changes else series.meeting_link
    if link and "meeting_link" in changes:  # checked even when no lesson is left to carry it
        problem = rules.meeting_link_error(link, rules.setting(settings, "meeting_link_hosts"))
        if problem:
            raise Invalid("meeting_link", problem)
    proposed = SeriesInput(
        teacher_id=series.teacher_id,
        student_id=series.student_id,
        subject_id=series.subject_id,
        start=to_utc(start_local, series.timezone),
        timezone=series.timezone,
        duration_minutes=duration,
        rrule=rule.text(),
        description=changes.get("description", series.description),
        meeting_link=link,
    )
    every = series_lessons(dbsession, series)
    future = [x for x in every if x.status in ACTIVE_STATUSES and x.start_at > now]
    result = ScopeResult(series=series)
    timing = (rule.text(), start_local, duration) != (
        series.rrule,
        series.start_local,
        series.duration_minutes,
    )
    found = [start_local]
    moves: list[tuple[Lesson, Any]] = []
    creates: list[Any] = []
    drops: list[Lesson] = []
    override = any(x.enrollment_override for x in every)
    if timing:
        found = checked_occurrences(settings, rule, start_local, series.timezone)
        excluded = {dt.datetime.fromisoformat(x).date() for x in series.exdates or []}
        by_date = {occurrence_date(series, x): x for x in every}
        kept_dates = set()
        for local in found:
            if local.date() in excluded:
                continue
            occ = occurrence(local, series.timezone, duration)
            lesson = by_date.get(local.date())
            if lesson is not None:
                kept_dates.add(local.date())
                if lesson in future and (lesson.start_at, lesson.end_at) != (occ.start, occ.end):
                    moves.append((lesson, occ))
            elif occ.start > now:
                creates.append(occ)
        drops = [x for x in future if occurrence_date(series, x) not in kept_dates]
        participants = lessons.load_participants(dbsession, series.teacher_id, series.student_id)
        for lesson, occ in moves:
            validate_occurrence(
                dbsession,
                settings,
                actor,
                participants,
                proposed,
                occ,
                now,
                require_enrollment=not lesson.enrollment_override,
            )
        for occ in creates:
            validate_occurrence(
                dbsession,
                settings,
                actor,
                participants,
                proposed,
                occ,
                now,
                require_enrollment=not override,
            )
        for lesson in drops:
            if not rules.can_cancel(actor, lesson, now, settings):
                raise Forbidden(
                    f"The change would cancel lesson {lesson.id}, which starts too soon to be "
                    "cancelled; ask an admin.",
                )
        vacated = [x.id for x in future]
        wanted = [occ for _, occ in moves] + creates
        checked = check_overlaps(dbsession, proposed, wanted, exclude_ids=vacated)
        clashes = [(occ, found_) for occ, found_ in checked if found_]
        if clashes:
            raise series_conflict_problem(clashes)
    # Checked: now change the series, then its lessons.
    days = sorted({dt.datetime.fromisoformat(x).date() for x in series.exdates or []})
    series.rrule, series.duration_minutes = rule.text(), duration
    series.start_local = found[0]
    series.description, series.meeting_link = proposed.description, proposed.meeting_link
    series.exdates = [exdate_for(series, day) for day in days]
    for lesson in drops:
        lesson_states.cancel(
            dbsession, settings, actor, lesson, now, reason=DROPPED_REASON, event=False
        )
        result.cancelled.append(lesson)
    for lesson, occ in moves:
        old = lessons.snapshot(lesson, ("start", "end"))
        lesson.start_at, lesson.end_at = occ.start, occ.end
        lessons.bump(lesson)
        new = lessons.snapshot(lesson, ("start", "end"))
        lessons.record_history(dbsession, lesson, "rescheduled", actor, old, new)
        result.changed.append(lesson)
    for occ in creates:
        result.created.append(add_lesson(dbsession, actor, series, occ, override_used=override))
    # Write the moves now: update_lesson re-reads each lesson under a row lock (PostgreSQL),
    # which would drop changes still pending in the session.
    dbsession.flush()
    content = {name: changes[name] for name in CONTENT if name in changes}
    if content:
        for lesson in future:
            if lesson in drops:
                continue
            updated = lesson_changes.update_lesson(
                dbsession, settings, actor, lesson, content, now, event=False
            )
            if updated and lesson not in result.changed:
                result.changed.append(lesson)
    dbsession.flush()
    return result
