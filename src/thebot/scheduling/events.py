"""What happens to lessons and series, as domain events (see ``thebot.events``), and this
feature's subscribers: the dashboards showing the change go stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thebot.accounts.models import User
from thebot.events import Committing, DomainEvent
from thebot.materials.dashboard_cache import invalidate_dashboards_for
from thebot.scheduling.lesson_notifications import notify_lesson
from thebot.scheduling.models import Lesson


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


def stale_dashboards(committing: Committing) -> None:
    """The teacher's dashboard, and those watching the student, show the lesson."""
    event = committing.event
    if committing.request is None:  # no request: no dashboard cache to reach
        return
    student_ids = [event.student_id] if event.student_id is not None else []
    invalidate_dashboards_for(
        committing.request, user_ids=[event.teacher_id], student_ids=student_ids
    )


def tell_about_lesson(committing: Committing) -> None:
    """The lesson's people (the actor excepted) hear of a booking, cancellation or move."""
    event, dbsession = committing.event, committing.dbsession
    if not event.change:
        return
    lesson = dbsession.get(Lesson, event.lesson_id)
    if lesson is None:
        return
    actor = dbsession.get(User, event.actor_id) if event.actor_id is not None else None
    old = {"start": event.old_start, "end": event.old_end} if event.old_start else None
    notify_lesson(committing.request, lesson, event.change, actor=actor, old=old)


def includeme(config: Any) -> None:
    config.add_subscriber(tell_about_lesson, Committing, event=LessonChanged)
    config.add_subscriber(stale_dashboards, Committing, event=[LessonChanged, SeriesChanged])
