"""Shared helpers of the lessons tests: a small world of people, times, request bodies.

The world: teacher E teaches student S maths (an active enrollment); tutor T is S's tutor
and P is S's parent; A is an admin. S2 (tutor T2, parent P2) is another family, taught by
teacher E2. Time is frozen at ``NOW`` (a Tuesday, 09:00 UTC) by each module's fixture.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from factories import EnrollmentFactory, LessonFactory, ParentLinkFactory, SubjectFactory

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LESSONS = "/api/scheduling/lessons/"
CHECK = "/api/scheduling/check-conflicts/"


def at(hours: float = 0, minutes: float = 0, seconds: float = 0) -> dt.datetime:
    """``NOW`` plus an offset."""
    return NOW + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


def wire(value: dt.datetime) -> str:
    return value.isoformat()


def item(lesson_id: int, action: str = "") -> str:
    return f"{LESSONS}{lesson_id}/" + (f"{action}/" if action else "")


@dataclass
class World:
    admin: Any
    teacher: Any
    tutor: Any
    student: Any
    parent: Any
    subject: Any
    other_teacher: Any
    other_tutor: Any
    other_student: Any
    other_parent: Any


def make_world(make_user: Any) -> World:
    admin = make_user("admin")
    teacher = make_user("teacher", first_name="Erin", last_name="Teacher")
    tutor = make_user("tutor")
    student = make_user(
        "student", first_name="Sam", last_name="Student", profile={"tutor_id": tutor.id}
    )
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    other_teacher = make_user("teacher")
    other_tutor = make_user("tutor")
    other_student = make_user("student", profile={"tutor_id": other_tutor.id})
    other_parent = make_user("parent")
    ParentLinkFactory(student=other_student, parent=other_parent)
    subject = SubjectFactory(name=f"Maths {student.id}")
    EnrollmentFactory(student_id=student.id, teacher_id=teacher.id, subject_id=subject.id)
    EnrollmentFactory(
        student_id=other_student.id, teacher_id=other_teacher.id, subject_id=subject.id
    )
    return World(
        admin,
        teacher,
        tutor,
        student,
        parent,
        subject,
        other_teacher,
        other_tutor,
        other_student,
        other_parent,
    )


def body(
    world: World,
    start: dt.datetime | None = None,
    minutes: int = 60,
    *,
    teacher: Any = None,
    student: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """A booking body: ``world``'s teacher and student, by default tomorrow 10:00 UTC."""
    start = start or at(hours=25)
    data: dict[str, Any] = {
        "teacher_id": (teacher or world.teacher).id,
        "student_id": (student or world.student).id,
        "subject_id": world.subject.id,
        "start": wire(start),
        "end": wire(start + dt.timedelta(minutes=minutes)),
        "timezone": "Europe/Moscow",
    }
    data.update(extra)
    return data


def lesson(world: World, start: dt.datetime, minutes: int = 60, **kw: Any) -> Any:
    """A lesson row straight in the database (no rules checked)."""
    kw.setdefault("teacher_id", world.teacher.id)
    kw.setdefault("student_id", world.student.id)
    kw.setdefault("subject_id", world.subject.id)
    return LessonFactory(start_at=start, end_at=start + dt.timedelta(minutes=minutes), **kw)


def problem_names(response: Any) -> list[str]:
    return [e["name"] for e in response.json.get("errors", [])]
