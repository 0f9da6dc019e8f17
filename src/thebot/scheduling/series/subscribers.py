"""Tell the people of a series about a change to many of its lessons in one notification
each (a series of 30 lessons booked is one message, not 30): the ``SeriesChanged``
subscriber (``tell_about_series``) and the messages it writes.

Recipients and wording follow ``lessons.subscribers`` (``audience``: teacher, student, the
student's parents, except whoever made the change; times in each recipient's time zone), and
the kinds are the same ``lessons.booked`` / ``lessons.rescheduled`` / ``lessons.cancelled``
so people's channel choices apply. A change to one occurrence uses ``notify_lesson`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from thebot.accounts.models import User
from thebot.events import Committing
from thebot.notifications.service import notify
from thebot.scheduling.events import SeriesChanged
from thebot.scheduling.lessons.subscribers import (
    BOOKED,
    CANCELLED,
    EVENTS,
    RESCHEDULED,
    audience,
    notify_lesson,
    when,
)
from thebot.scheduling.models import Lesson, LessonSeries
from thebot.scheduling.rrule import WEEKDAYS, parse_rule

DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def describe(series: LessonSeries) -> str:
    """``every 2 weeks on Monday and Wednesday at 15:00 (Europe/Moscow)``."""
    rule = parse_rule(series.rrule, series.timezone)
    days = [DAY_NAMES[d] for d in rule.byday] or [series.start_local.strftime("%A")]
    on = days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]
    every = "every week" if rule.interval == 1 else f"every {rule.interval} weeks"
    return f"{every} on {on} at {series.start_local:%H:%M} ({series.timezone})"


def message(
    event: str,
    series: LessonSeries,
    lessons: Sequence[Lesson],
    names: tuple[str, str, str],
    timezone: str,
    skipped: int,
) -> tuple[str, str]:
    subject, teacher, student = names
    who = f"{subject} with {teacher} for {student}"
    count = len(lessons)
    plural = "lesson" if count == 1 else "lessons"
    first = min(lessons, key=lambda x: x.start_at)
    slot = when(first.start_at, first.end_at, timezone)
    if event == BOOKED:
        body = f"{who}: {count} {plural}, {describe(series)}. First: {slot}."
        if skipped:
            dates = "1 date was" if skipped == 1 else f"{skipped} dates were"
            body += f" {dates} not booked: they overlap other lessons."
        return f"Lessons booked: {subject}", body
    if event == RESCHEDULED:
        body = f"{who}: {count} upcoming {plural} changed, now {describe(series)}. Next: {slot}."
        return f"Lessons changed: {subject}", body
    body = f"{who}: {count} upcoming {plural} cancelled, from {slot}."
    return f"Lessons cancelled: {subject}", body


def notify_series(
    request: Any,
    series: LessonSeries,
    event: str,
    lessons: Sequence[Lesson],
    *,
    actor: User | None,
    skipped: int = 0,
) -> int:
    """One ``lessons.<event>`` notification per person about ``lessons`` of ``series``;
    returns how many people were told (none when no lesson is concerned)."""
    if event not in EVENTS:
        raise ValueError(f"unknown lesson event {event!r}")
    if not lessons:
        return 0
    people = audience(request.dbsession, series, actor)
    if not people.readers:
        return 0
    names = (people.subject or "Lessons", people.teacher, people.student)
    data = {
        "series_id": series.id,
        "event": event,
        "lesson_ids": [x.id for x in lessons],
        "timezone": series.timezone,
    }
    for user, timezone in people.readers:
        title, body = message(event, series, lessons, names, timezone, skipped)
        notify(request, user, f"lessons.{event}", title, body, data=data)
    return len(people.readers)


def tell_about_series(committing: Committing, event: SeriesChanged) -> None:
    """The series' people (the actor excepted) hear of booked, moved or cancelled lessons:
    one notification per person for the series, or per lesson for a single occurrence."""
    dbsession = committing.dbsession
    series = dbsession.get(LessonSeries, event.series_id)
    if series is None:
        return
    request = committing.request
    actor = dbsession.get(User, event.actor_id) if event.actor_id is not None else None

    def lessons(lesson_ids: tuple[int, ...]) -> list[Lesson]:
        found = (dbsession.get(Lesson, lesson_id) for lesson_id in lesson_ids)
        return [lesson for lesson in found if lesson is not None]

    if event.one_by_one:
        old = {"start": event.old_start, "end": event.old_end} if event.old_start else None
        for lesson in lessons(event.rescheduled_ids):
            notify_lesson(request, lesson, RESCHEDULED, actor=actor, old=old)
        for lesson in lessons(event.cancelled_ids):
            notify_lesson(request, lesson, CANCELLED, actor=actor)
        return
    if event.booked_ids:
        booked = lessons(event.booked_ids)
        notify_series(request, series, BOOKED, booked, actor=actor, skipped=event.skipped)
    if event.rescheduled_ids:
        notify_series(request, series, RESCHEDULED, lessons(event.rescheduled_ids), actor=actor)
    if event.cancelled_ids:
        notify_series(request, series, CANCELLED, lessons(event.cancelled_ids), actor=actor)
