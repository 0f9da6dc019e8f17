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
every conflicting occurrence). A raised error leaves the session to be rolled back (views
run in a transaction that aborts). A change records one ``SeriesChanged``. Splitting a
series and applying a change to every future occurrence: ``changes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import Conflict, Forbidden, Invalid
from thebot.scheduling import rules
from thebot.scheduling.exdates import occurrence_date, record_exception
from thebot.scheduling.lessons import changes as lesson_changes
from thebot.scheduling.lessons import service as lessons
from thebot.scheduling.lessons import states as lesson_states
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson, LessonSeries
from thebot.scheduling.rrule import occurrences_before, to_utc
from thebot.scheduling.series.changes import CONTENT, ScopeResult, apply_all, split
from thebot.scheduling.series.occurrences import load_rule, series_lessons
from thebot.scheduling.series.service import announce

THIS, FOLLOWING, ALL = "this", "following", "all"
SCOPES = (THIS, FOLLOWING, ALL)
SERIES_ONLY = ("start_time", "rrule")  # changes that describe the rule, not one lesson


def require_manager(dbsession: Session, actor: User, series: LessonSeries) -> None:
    if not rules.can_manage(dbsession, actor, series):
        raise Forbidden(
            "Only the teacher, the student's tutor or an admin may change this series."
        )
    if not series.is_active:
        raise Conflict("The series has been cancelled; it can no longer be changed.")


def find_occurrence(
    dbsession: Session, series: LessonSeries, lesson_id: int | None, location: str = "body"
) -> Lesson:
    if lesson_id is None:
        raise Invalid("lesson_id", "Required with scope this or following", location=location)
    lesson = dbsession.get(Lesson, lesson_id)
    if lesson is None or lesson.series_id != series.id:
        raise Invalid("lesson_id", "Not a lesson of this series", location=location)
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
    ``description``, ``meeting_link``) to the occurrences ``scope`` names, and record
    ``SeriesChanged`` when a lesson changed."""
    require_manager(dbsession, actor, series)
    if scope == THIS:
        return edit_this(dbsession, settings, actor, series, changes, now, lesson_id)
    if "start" in changes:
        raise Invalid("start", "Only with scope this; use start_time for the series")
    if scope == FOLLOWING:
        lesson = find_occurrence(dbsession, series, lesson_id)
        lessons.require_editable(lesson, now)
        day = occurrence_date(series, lesson)
        if occurrences_before(load_rule(series), series.start_local, series.timezone, day):
            series = split(dbsession, actor, series, day)
    result = apply_all(dbsession, settings, actor, series, changes, now)
    if result.changed or result.created or result.cancelled:
        touched = result.changed + result.created
        announce(dbsession, result.series, actor, rescheduled=touched, cancelled=result.cancelled)
    return result


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
            raise Invalid(name, "Only with scope following or all")
    lesson = find_occurrence(dbsession, series, lesson_id)
    old = {"start": lesson.start_at, "end": lesson.end_at}
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
                event=False,
            )
        except Invalid as exc:  # the series API speaks of a duration, not an end
            for error in exc.errors or []:
                if error.get("name") == "end":
                    error["name"] = "duration_minutes"
            raise
        result.changed.append(lesson)
    content = {name: changes[name] for name in CONTENT if name in changes}
    updated = content and lesson_changes.update_lesson(
        dbsession, settings, actor, lesson, content, now, event=False
    )
    if updated and lesson not in result.changed:
        result.changed.append(lesson)
    if result.changed:  # one occurrence: told per lesson, of a move only
        moved = [x for x in result.changed if (old["start"], old["end"]) != (x.start_at, x.end_at)]
        announce(dbsession, series, actor, rescheduled=moved, one_by_one=True, old=old)
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
        lesson_states.cancel(dbsession, settings, actor, lesson, now, reason=reason, event=False)
        result.cancelled.append(lesson)
        if scope == THIS:
            record_exception(dbsession, lesson)
            announce(dbsession, series, actor, cancelled=result.cancelled, one_by_one=True)
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
            lesson_states.cancel(
                dbsession, settings, actor, lesson, now, reason=reason, event=False
            )
            result.cancelled.append(lesson)
        else:
            result.kept.append(lesson)
    dbsession.flush()
    if result.cancelled:
        announce(dbsession, series, actor, cancelled=result.cancelled)
    return result
