"""Editing and cancelling a lesson series with a scope, as calendar apps do:

- ``this``: one occurrence (a lesson of the series) changes: it is rescheduled or edited with
  the single-lesson operations and stays in the series (its RECURRENCE-ID is kept);
  cancelling it leaves an EXDATE on the series;
- ``following``: this occurrence and the later ones: the series is split. The old one ends
  (``UNTIL`` just before the occurrence; a ``COUNT`` becomes that ``UNTIL``), a new series
  takes over from the occurrence (with the rest of the ``COUNT``, or the same ``UNTIL``),
  together with its lessons and exceptions, and the change applies to it as ``all``;
- ``all``: every future occurrence. Lessons that have started or ended, and cancelled ones,
  are left alone; a future lesson whose date the new rule no longer has is cancelled; a
  future date the new rule adds gets a new lesson.

Edits are all or nothing: any rule violation or overlap refuses the whole change (409 listing
every conflicting occurrence). A raised problem leaves the session to be rolled back (views
run in a transaction that aborts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import APIProblem
from thebot.scheduling import rules
from thebot.scheduling.lessons import changes as lesson_changes
from thebot.scheduling.lessons import history as lesson_history
from thebot.scheduling.lessons import service as lessons
from thebot.scheduling.lessons import states as lesson_states
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson, LessonSeries
from thebot.scheduling.series.rrule import RuleError, occurrences_before, parse_rule, to_utc
from thebot.scheduling.series.service import (
    SeriesInput,
    add_lesson,
    check_overlaps,
    checked_occurrences,
    exdate_for,
    load_rule,
    occurrence,
    occurrence_date,
    record_exception,
    rule_problem,
    series_conflict_problem,
    series_lessons,
    validate_occurrence,
)

THIS, FOLLOWING, ALL = "this", "following", "all"
SCOPES = (THIS, FOLLOWING, ALL)
SERIES_ONLY = ("start_time", "rrule")  # changes that describe the rule, not one lesson
CONTENT = ("description", "meeting_link")
DROPPED_REASON = "No longer an occurrence of its series"


@dataclass
class ScopeResult:
    series: LessonSeries  # the series the changed occurrences belong to now
    changed: list[Lesson] = field(default_factory=list)
    created: list[Lesson] = field(default_factory=list)
    cancelled: list[Lesson] = field(default_factory=list)
    kept: list[Lesson] = field(default_factory=list)  # too close to their start to cancel


def body_problem(name: str, description: str, status: int = 400) -> APIProblem:
    if status != 400:
        return APIProblem(status, description)
    return rules.invalid([rules.field_error(name, description)])


def require_manager(dbsession: Session, actor: User, series: LessonSeries) -> None:
    if not rules.can_manage(dbsession, actor, series):
        raise APIProblem(
            403, "Only the teacher, the student's tutor or an admin may change this series."
        )
    if not series.is_active:
        raise APIProblem(409, "The series has been cancelled; it can no longer be changed.")


def find_occurrence(
    dbsession: Session, series: LessonSeries, lesson_id: int | None, location: str = "body"
) -> Lesson:
    if lesson_id is None:
        raise rules.invalid(
            [rules.field_error("lesson_id", "Required with scope this or following", location)]
        )
    lesson = dbsession.get(Lesson, lesson_id)
    if lesson is None or lesson.series_id != series.id:
        raise rules.invalid(
            [rules.field_error("lesson_id", "Not a lesson of this series", location)]
        )
    return lesson


# --- edit --------------------------------------------------------------------------------


def edit_series(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    series: LessonSeries,
    scope: str,
    changes: Mapping[str, Any],
    now: dt.datetime,
    lesson_id: int | None = None,
) -> ScopeResult:
    """Apply ``changes`` (``start``, ``start_time``, ``duration_minutes``, ``rrule``,
    ``description``, ``meeting_link``) to the occurrences ``scope`` names."""
    require_manager(dbsession, actor, series)
    if scope == THIS:
        return edit_this(dbsession, settings, actor, series, changes, now, lesson_id)
    if "start" in changes:
        raise body_problem("start", "Only with scope this; use start_time for the series")
    if scope == FOLLOWING:
        lesson = find_occurrence(dbsession, series, lesson_id)
        lessons.require_editable(lesson, now)
        day = occurrence_date(series, lesson)
        if occurrences_before(load_rule(series), series.start_local, series.timezone, day):
            series = split(dbsession, actor, series, day)
    return apply_all(dbsession, settings, actor, series, changes, now)


def edit_this(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    series: LessonSeries,
    changes: Mapping[str, Any],
    now: dt.datetime,
    lesson_id: int | None,
) -> ScopeResult:
    for name in SERIES_ONLY:
        if name in changes:
            raise body_problem(name, "Only with scope following or all")
    lesson = find_occurrence(dbsession, series, lesson_id)
    start = changes.get("start", lesson.start_at)
    length = lesson.end_at - lesson.start_at
    if "duration_minutes" in changes:
        length = dt.timedelta(minutes=changes["duration_minutes"])
    result = ScopeResult(series=series)
    if (start, start + length) != (lesson.start_at, lesson.end_at):
        try:
            lesson_changes.reschedule(
                dbsession,
                settings,
                actor,
                lesson,
                start=start,
                end=start + length,
                timezone=None,
                now=now,
            )
        except APIProblem as exc:  # the series API speaks of a duration, not an end
            for error in exc.kwargs.get("errors") or []:
                if error.get("name") == "end":
                    error["name"] = "duration_minutes"
            raise
        result.changed.append(lesson)
    content = {name: changes[name] for name in CONTENT if name in changes}
    updated = content and lesson_changes.update_lesson(
        dbsession, settings, actor, lesson, content, now
    )
    if updated and lesson not in result.changed:
        result.changed.append(lesson)
    return result


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
            lesson_history.record_history(
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
            raise body_problem("meeting_link", problem)
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
                raise APIProblem(
                    403,
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
        lesson_states.cancel(dbsession, settings, actor, lesson, now, reason=DROPPED_REASON)
        result.cancelled.append(lesson)
    for lesson, occ in moves:
        old = lesson_history.snapshot(lesson, ("start", "end"))
        lesson.start_at, lesson.end_at = occ.start, occ.end
        lessons.bump(lesson)
        new = lesson_history.snapshot(lesson, ("start", "end"))
        lesson_history.record_history(dbsession, lesson, "rescheduled", actor, old, new)
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
                dbsession, settings, actor, lesson, content, now
            )
            if updated and lesson not in result.changed:
                result.changed.append(lesson)
    dbsession.flush()
    return result


# --- cancel ------------------------------------------------------------------------------


def cancel_series(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    series: LessonSeries,
    scope: str,
    now: dt.datetime,
    lesson_id: int | None = None,
    reason: str = "",
) -> ScopeResult:
    """Cancel one occurrence (leaving an EXDATE), this and the following ones (the series
    ends before it), or every future one (the series is over). Future lessons too close to
    their start for the caller to cancel are kept and reported."""
    require_manager(dbsession, actor, series)
    result = ScopeResult(series=series)
    every = series_lessons(dbsession, series)
    future = [x for x in every if x.status in ACTIVE_STATUSES and x.start_at > now]
    targets = future
    if scope in (THIS, FOLLOWING):
        lesson = find_occurrence(dbsession, series, lesson_id, location="querystring")
        lessons.require_editable(lesson, now)
        lesson_states.cancel(dbsession, settings, actor, lesson, now, reason=reason)
        result.cancelled.append(lesson)
        if scope == THIS:
            record_exception(dbsession, lesson)
            return result
        day = occurrence_date(series, lesson)
        targets = [x for x in future if x is not lesson and occurrence_date(series, x) >= day]
        rule = load_rule(series)
        if occurrences_before(rule, series.start_local, series.timezone, day):
            first = dt.datetime.combine(day, series.start_local.time())
            boundary = to_utc(first, series.timezone) - dt.timedelta(seconds=1)
            series.rrule = rule.with_until(boundary).text()
            series.exdates = [
                x for x in series.exdates or [] if dt.datetime.fromisoformat(x).date() < day
            ]
        else:
            series.is_active = False
    else:
        series.is_active = False
    for lesson in targets:
        if rules.can_cancel(actor, lesson, now, settings):
            lesson_states.cancel(dbsession, settings, actor, lesson, now, reason=reason)
            result.cancelled.append(lesson)
        else:
            result.kept.append(lesson)
    dbsession.flush()
    return result
