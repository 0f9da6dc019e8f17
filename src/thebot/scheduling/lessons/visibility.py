"""Who sees which lessons: one SQL clause for lists, one check for a single lesson, and the
caller's relations to a lesson (what its ACL grants), all from the same rules:

- an admin sees every lesson;
- a teacher (or tutor) sees the lessons they teach;
- a student sees their own lessons;
- a tutor also sees the lessons of their own students (``StudentProfile.tutor_id``);
- a parent sees the lessons of their children (``ParentLink``);
- inactive accounts see nothing. Everything else is a 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, Role, StudentProfile, User
from thebot.accounts.relationships import visibility as people
from thebot.scheduling.models import Lesson

# The caller's relations to a lesson (see ``relations``).
ADMIN = "admin"
TEACHER = "teacher"  # the lesson's teacher
STUDENT = "student"  # the lesson's student
TUTOR = "tutor"  # the student's tutor
PARENT = "parent"  # a parent of the student


def visible_lessons_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause selecting the lessons ``viewer`` may see."""
    if not viewer.is_active:
        return false()
    return visible_to_role(viewer.role, viewer.id)


def visible_to_role(role: str, viewer_id: Any) -> ColumnElement[bool]:
    """The lessons an active user of ``role`` sees; ``viewer_id`` is their id or a bound
    parameter (statements built once per role take it at execution)."""
    if role == Role.ADMIN.value:
        return true()
    if role == Role.TEACHER.value:
        return Lesson.teacher_id == viewer_id
    if role == Role.TUTOR.value:
        return or_(
            Lesson.teacher_id == viewer_id, Lesson.student_id.in_(people.tutored_by(viewer_id))
        )
    if role == Role.STUDENT.value:
        return Lesson.student_id == viewer_id
    if role == Role.PARENT.value:
        return Lesson.student_id.in_(people.children_of(viewer_id))
    return false()


def can_view(dbsession: Session, viewer: User | None, lesson: Lesson) -> bool:
    if viewer is None:
        return False
    return bool(
        dbsession.scalar(
            select(true()).where(Lesson.id == lesson.id, visible_lessons_clause(viewer))
        )
    )


def relations(dbsession: Session, viewer: User | None, lesson: Lesson) -> frozenset[str]:
    """How ``viewer`` relates to ``lesson`` (at most one query; empty: not at all)."""
    if viewer is None or not viewer.is_active:
        return frozenset()
    found = set()
    if viewer.role == Role.ADMIN.value:
        found.add(ADMIN)
    if viewer.id == lesson.teacher_id:
        found.add(TEACHER)
    if viewer.id == lesson.student_id:
        found.add(STUDENT)
    if viewer.role == Role.TUTOR.value:
        is_tutor = exists().where(
            StudentProfile.user_id == lesson.student_id, StudentProfile.tutor_id == viewer.id
        )
        if dbsession.scalar(select(is_tutor)):
            found.add(TUTOR)
    elif viewer.role == Role.PARENT.value:
        is_parent = exists().where(
            ParentLink.student_id == lesson.student_id, ParentLink.parent_id == viewer.id
        )
        if dbsession.scalar(select(is_parent)):
            found.add(PARENT)
    return frozenset(found)


def notes_visible_to(viewer: User, lesson: Lesson, tutored: set[int]) -> bool:
    """Private notes: the lesson's teacher, the student's tutor and admins.

    ``tutored``: ids of the viewer's own students (from ``tutored_students``).
    """
    return (
        viewer.role == Role.ADMIN.value
        or viewer.id == lesson.teacher_id
        or lesson.student_id in tutored
    )


def tutored_students(dbsession: Session, viewer: User, student_ids: set[int]) -> set[int]:
    """Which of ``student_ids`` have ``viewer`` as their tutor (one query, none if not a tutor)."""
    if viewer.role != Role.TUTOR.value or not student_ids:
        return set()
    return set(
        dbsession.scalars(
            select(StudentProfile.user_id).where(
                StudentProfile.tutor_id == viewer.id, StudentProfile.user_id.in_(student_ids)
            )
        )
    )
