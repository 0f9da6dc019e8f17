"""What happens to lessons and series, as domain events (see ``thebot.events``), and this
feature's subscribers: the dashboards showing the change go stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thebot.accounts.models import User
from thebot.dashboards.cache import invalidate_dashboards_for
from thebot.events import Committing, DomainEvent
from thebot.scheduling.lessons.notices import (
    BOOKED,
    CANCELLED,
    RESCHEDULED,
    notify_lesson,
)
from thebot.scheduling.models import Lesson, LessonSeries
from thebot.scheduling.series.notices import notify_series


@dataclass(frozen=True)
class _TeacherAndStudent(DomainEvent):
    teacher_id: int | None = None
    student_id: int | None = None

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(sorted({i for i in (self.teacher_id, self.student_id) if i is not None}))


@dataclass(frozen=True)
class LessonChanged(_TeacherAndStudent):
    """A lesson was booked, edited, rescheduled, cancelled or completed."""

    name = "lesson.changed"
    lesson_id: int = 0
    change: str = ""  # booked, cancelled, rescheduled: the people concerned are told
    actor_id: int | None = None  # who did it (not told of their own change)
    old_start: str = ""  # rescheduled: the previous times (ISO 8601)
    old_end: str = ""


@dataclass(frozen=True)
class SeriesChanged(_TeacherAndStudent):
    """Lessons of a recurring series were created, moved or cancelled."""

    name = "lesson_series.changed"
    series_id: int = 0
    actor_id: int | None = None  # who did it (not told of their own change)
    booked_ids: tuple[int, ...] = ()  # lessons created by booking the series
    skipped: int = 0  # occurrences not booked (conflicts)
    rescheduled_ids: tuple[int, ...] = ()  # lessons moved (or created by a change)
    cancelled_ids: tuple[int, ...] = ()
    one_by_one: bool = False  # one occurrence changed: per-lesson notifications
    old_start: str = ""  # one occurrence moved: its previous times (ISO 8601)
    old_end: str = ""


def stale_dashboards(committing: Committing, event: LessonChanged | SeriesChanged) -> None:
    """The teacher's dashboard, and those watching the student, show the lesson."""
    if committing.request is None:  # no request: no dashboard cache to reach
        return
    student_ids = [event.student_id] if event.student_id is not None else []
    invalidate_dashboards_for(
        committing.request, user_ids=[event.teacher_id], student_ids=student_ids
    )


def tell_about_lesson(committing: Committing, event: LessonChanged) -> None:
    """The lesson's people (the actor excepted) hear of a booking, cancellation or move."""
    dbsession = committing.dbsession
    if not event.change:
        return
    lesson = dbsession.get(Lesson, event.lesson_id)
    if lesson is None:
        return
    actor = dbsession.get(User, event.actor_id) if event.actor_id is not None else None
    old = {"start": event.old_start, "end": event.old_end} if event.old_start else None
    notify_lesson(committing.request, lesson, event.change, actor=actor, old=old)


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


def includeme(config: Any) -> None:
    config.add_subscriber(tell_about_lesson, [Committing, LessonChanged])
    config.add_subscriber(tell_about_series, [Committing, SeriesChanged])
    config.add_subscriber(stale_dashboards, [Committing, LessonChanged])
    config.add_subscriber(stale_dashboards, [Committing, SeriesChanged])
