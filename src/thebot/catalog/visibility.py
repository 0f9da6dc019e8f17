"""Who sees what a teacher teaches a student: the one module for the "teacher of" relation
through an enrollment, asked by every feature whose rows join a teacher and a student
(enrollments here; lessons ask ``pair_visible_to_role`` and ``pair_relations`` with their
own columns).

Who sees such a row (the same rules for single objects and for lists):

- admins see every row;
- its teacher (or tutor) sees it;
- the student's tutor (``StudentProfile.tutor_id``) sees every row of that student;
- the student sees their own, and their parents see their children's;
- inactive accounts see nothing. Everyone else gets a 404, so existence is never revealed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import ParentLink, Role, StudentProfile, User
from thebot.catalog.models import Enrollment

# How a viewer relates to a row (``pair_relations``).
AS_ADMIN = "admin"
AS_TEACHER = "teacher"  # the row's teacher (a teacher or a tutor)
AS_TUTOR = "tutor"  # the student's assigned tutor
AS_STUDENT = "student"
AS_PARENT = "parent"


def pair_visible_to_role(
    role: str, viewer_id: Any, *, teacher_id: Any, student_id: Any
) -> ColumnElement[bool]:
    """WHERE clause: the rows (with these ``teacher_id`` and ``student_id`` columns) an active
    user of ``role`` sees; ``viewer_id`` is their id or a bound parameter (statements built
    once per role take it at execution)."""
    if role == Role.ADMIN.value:
        return true()
    if role == Role.TEACHER.value:
        return teacher_id == viewer_id
    if role == Role.TUTOR.value:
        return or_(teacher_id == viewer_id, student_id.in_(people.tutored_by(viewer_id)))
    if role == Role.STUDENT.value:
        return student_id == viewer_id
    if role == Role.PARENT.value:
        return student_id.in_(people.children_of(viewer_id))
    return false()


def pair_relations(
    dbsession: Session, viewer: User | None, teacher_id: int, student_id: int
) -> frozenset[str]:
    """How ``viewer`` relates to the row of ``teacher_id`` and ``student_id`` (at most one
    query; empty: not at all). Each relation also takes the role it stands for, as the
    clause does: an account whose role changed keeps none of its former relations."""
    if viewer is None or not viewer.is_active:
        return frozenset()
    found: set[str] = set()
    if viewer.role == Role.ADMIN.value:
        found.add(AS_ADMIN)
    if viewer.role in people.TEACHING_ROLES and viewer.id == teacher_id:
        found.add(AS_TEACHER)
    if viewer.role == Role.STUDENT.value and viewer.id == student_id:
        found.add(AS_STUDENT)
    check: ColumnElement[bool] | None = None
    if viewer.role == Role.TUTOR.value:
        check = exists().where(
            StudentProfile.user_id == student_id, StudentProfile.tutor_id == viewer.id
        )
    elif viewer.role == Role.PARENT.value:
        check = exists().where(
            ParentLink.student_id == student_id, ParentLink.parent_id == viewer.id
        )
    if check is not None and dbsession.scalar(select(check)):
        found.add(AS_TUTOR if viewer.role == Role.TUTOR.value else AS_PARENT)
    return frozenset(found)


# --- enrollments --------------------------------------------------------------------------


def enrollments_visible_to_role(role: str, viewer_id: Any) -> ColumnElement[bool]:
    """The enrollments an active user of ``role`` sees."""
    return pair_visible_to_role(
        role, viewer_id, teacher_id=Enrollment.teacher_id, student_id=Enrollment.student_id
    )


def visible_enrollments_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause on ``Enrollment`` selecting exactly what ``viewer`` may see."""
    if not viewer.is_active:
        return false()
    return enrollments_visible_to_role(viewer.role, viewer.id)


def enrollment_relations(
    dbsession: Session, viewer: User | None, enrollment: Enrollment
) -> frozenset[str]:
    """How ``viewer`` relates to ``enrollment`` (empty: not at all, so it is a 404)."""
    return pair_relations(dbsession, viewer, enrollment.teacher_id, enrollment.student_id)
