"""What happens to subjects, teacher assignments and enrollments, as domain events (see
``thebot.events``), and ``DashboardEvent``: the shape of a change whose audience is whoever's
dashboard shows it (the dashboards subscribe: ``thebot.dashboards.subscribers``)."""

from __future__ import annotations

from dataclasses import dataclass

from thebot.events import DomainEvent


@dataclass(frozen=True)
class DashboardEvent(DomainEvent):
    """A change shown on dashboards: those of ``users`` and of everyone watching
    ``student_ids``, ``material_ids`` or ``subject_ids`` (``dashboard_audience``)."""

    users: tuple[int, ...] = ()
    student_ids: tuple[int, ...] = ()
    material_ids: tuple[int, ...] = ()
    subject_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(sorted({*self.users, *self.student_ids}))


@dataclass(frozen=True)
class EnrollmentChanged(DashboardEvent):
    """An enrollment was created or changed (``users``: its teachers, before and after)."""

    name = "enrollment.changed"
    enrollment_id: int = 0


@dataclass(frozen=True)
class TeacherAssignmentChanged(DashboardEvent):
    """A teacher was assigned to a subject, or their assignment (de)activated."""

    name = "subject_teacher.changed"
    subject_id: int = 0


@dataclass(frozen=True)
class SubjectChanged(DomainEvent):
    """A subject was edited (its name and colour show on every dashboard) or deleted
    (``teacher_ids``: the teachers it had)."""

    name = "subject.changed"
    subject_id: int = 0
    deleted: bool = False
    teacher_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.teacher_ids
