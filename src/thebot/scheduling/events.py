"""What happens to lessons and series, as domain events (see ``thebot.events``), and this
feature's subscribers: the dashboards showing the change go stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thebot.events import Committing, DomainEvent
from thebot.materials.dashboard_cache import invalidate_dashboards_for


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


def includeme(config: Any) -> None:
    config.add_subscriber(stale_dashboards, Committing, event=[LessonChanged, SeriesChanged])
