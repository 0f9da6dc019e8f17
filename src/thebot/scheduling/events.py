"""What happens to lessons and series, as domain events (see ``thebot.events``). Services
record them; the subscribers (``thebot.scheduling.includeme``) tell people and refresh
dashboards."""

from __future__ import annotations

from dataclasses import dataclass

from thebot.events import DomainEvent


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


@dataclass(frozen=True)
class LessonReminderDue(DomainEvent):
    """A reminder of a lesson is due for one person and was claimed (``reminders.service``):
    recorded once per (lesson, person, offsets due together); a subscriber sends it."""

    name = "lesson.reminder_due"
    lesson_id: int = 0
    user_id: int = 0
    offset_minutes: int = 0  # the smallest offset due (minutes before the start)
    start: str = ""  # the lesson's start the reminder is for (ISO 8601)
    at: str = ""  # when the reminder pass ran (ISO 8601): the text says "in N minutes"

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.user_id,)
