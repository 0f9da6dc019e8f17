"""Who sees which lessons: one SQL clause for lists, one check for a single lesson, and the
caller's relations to a lesson (what its ACL grants), all from the same rules:

- an admin sees every lesson;
- a teacher (or tutor) sees the lessons they teach;
- a student sees their own lessons;
- a tutor also sees the lessons of their own students (``StudentProfile.tutor_id``);
- a parent sees the lessons of their children (``ParentLink``);
- inactive accounts see nothing. Everything else is a 404.

These are the rules of every row joining a teacher and a student: the clause and the
relations come from ``thebot.catalog.visibility`` (``pair_visible_to_role``,
``pair_relations``), asked with a lesson's columns, or a series' (the same people see a
series as see its lessons: ``visible_clause``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, false, select, true
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.catalog import visibility as pairs
from thebot.scheduling.models import Lesson

# The caller's relations to a lesson (see ``relations``).
ADMIN = pairs.AS_ADMIN
TEACHER = pairs.AS_TEACHER  # the lesson's teacher
STUDENT = pairs.AS_STUDENT  # the lesson's student
TUTOR = pairs.AS_TUTOR  # the student's tutor
PARENT = pairs.AS_PARENT  # a parent of the student


def visible_lessons_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause selecting the lessons ``viewer`` may see."""
    return visible_clause(viewer, Lesson.teacher_id, Lesson.student_id)


def visible_clause(
    viewer: User, teacher_id: SQLColumnExpression[int], student_id: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """WHERE clause on rows of a teacher and a student (a lesson, a series) that ``viewer``
    may see."""
    if not viewer.is_active:
        return false()
    return visible_to_role(viewer.role, viewer.id, teacher_id, student_id)


def visible_to_role(
    role: str,
    viewer_id: Any,
    teacher_id: SQLColumnExpression[int] = Lesson.teacher_id,
    student_id: SQLColumnExpression[int] = Lesson.student_id,
) -> ColumnElement[bool]:
    """The rows an active user of ``role`` sees; ``viewer_id`` is their id or a bound
    parameter (statements built once per role take it at execution)."""
    return pairs.pair_visible_to_role(
        role, viewer_id, teacher_id=teacher_id, student_id=student_id
    )


def can_view(dbsession: Session, viewer: User | None, lesson: Lesson) -> bool:
    if viewer is None:
        return False
    return bool(
        dbsession.scalar(
            select(true()).where(Lesson.id == lesson.id, visible_lessons_clause(viewer))
        )
    )


def relations(dbsession: Session, viewer: User | None, lesson: Any) -> frozenset[str]:
    """How ``viewer`` relates to ``lesson`` (a lesson or a series; at most one query;
    empty: not at all)."""
    return pairs.pair_relations(dbsession, viewer, lesson.teacher_id, lesson.student_id)


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
    mine = people.tutored_by(viewer.id).subquery()
    return set(dbsession.scalars(select(mine.c[0]).where(mine.c[0].in_(student_ids))))
