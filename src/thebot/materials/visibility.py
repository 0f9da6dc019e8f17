"""Who may see, create, edit and delete a material: one SQL clause for lists, one check for
single objects, both built from the same rules.

- the author and admins see it (whatever its status);
- a student sees it when it is active and assigned to them or they have an active enrollment
  in its subject; a parent sees what their children see;
- any authenticated user sees public active materials;
- deleted (soft) materials are seen by nobody; everything else is 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.catalog.models import Enrollment, EnrollmentStatus, TeacherSubject
from thebot.materials.models import (
    Material,
    MaterialAssignment,
    MaterialStatus,
    MaterialSubmission,
)

ACTIVE = MaterialStatus.ACTIVE.value


def _reaches_students(student_ids: Any) -> ColumnElement[bool]:
    """The material is assigned to, or in an active subject of, one of ``student_ids`` (a
    subquery of ids, or one id: a value or a bind parameter)."""

    def among(column: Any) -> ColumnElement[bool]:
        if isinstance(student_ids, Select):
            return column.in_(student_ids)
        return column == student_ids

    # Uncorrelated IN (subquery): each database computes the two small sets once and probes
    # them per material, where a correlated EXISTS ran two index searches per material.
    assigned = Material.id.in_(
        select(MaterialAssignment.material_id).where(among(MaterialAssignment.student_id))
    )
    enrolled = Material.subject_id.in_(
        select(Enrollment.subject_id).where(
            among(Enrollment.student_id), Enrollment.status == EnrollmentStatus.ACTIVE.value
        )
    )
    return or_(assigned, enrolled)


def visible_materials_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause selecting the materials ``viewer`` may see."""
    if not viewer.is_active:
        return false()
    return visible_to_role(viewer.role, viewer.id)


def visible_to_role(role: str, viewer_id: Any) -> ColumnElement[bool]:
    """The same rules for an active user of ``role`` whose id is ``viewer_id`` (a value, or a
    bind parameter in a statement built once and reused)."""
    not_deleted = Material.deleted_at.is_(None)
    if role == Role.ADMIN.value:
        return not_deleted
    rules = [Material.author_id == viewer_id, and_(Material.status == ACTIVE, Material.is_public)]
    if role == Role.STUDENT.value:
        rules.append(and_(Material.status == ACTIVE, _reaches_students(viewer_id)))
    elif role == Role.PARENT.value:
        rules.append(
            and_(Material.status == ACTIVE, _reaches_students(people.children_of(viewer_id)))
        )
    return and_(not_deleted, or_(*rules))


def can_view(dbsession: Session, viewer: User | None, material: Material) -> bool:
    if viewer is None:
        return False
    return bool(
        dbsession.scalar(
            select(true()).where(Material.id == material.id, visible_materials_clause(viewer))
        )
    )


def teaches_subject(dbsession: Session, user: User, subject_id: int) -> bool:
    """An active teacher-subject assignment of a teacher or tutor."""
    if user.role not in people.TEACHING_ROLES:
        return False
    return bool(
        dbsession.scalar(
            select(true()).where(
                TeacherSubject.teacher_id == user.id,
                TeacherSubject.subject_id == subject_id,
                TeacherSubject.is_active.is_(True),
            )
        )
    )


def can_author(dbsession: Session, user: User, subject_id: int) -> bool:
    """Create materials in a subject: its teachers/tutors and admins."""
    return user.role == Role.ADMIN.value or teaches_subject(dbsession, user, subject_id)


def can_edit(dbsession: Session, user: User, material: Material) -> bool:
    """Edit: admins and the subject's teachers/tutors (an active assignment). Authorship alone
    is not enough: an author no longer assigned to the subject still sees and may delete the
    material and reviews submissions on it, but no longer edits it, replaces its file or
    moderates its comments."""
    return can_author(dbsession, user, material.subject_id)


def can_delete(user: User, material: Material) -> bool:
    return user.role == Role.ADMIN.value or material.author_id == user.id


# --- submissions ----------------------------------------------------------------------------
# Reviewers (admins, the material's author, teachers/tutors of its subject) see every
# submission on a material they see; otherwise a submission is seen by its student, their
# parents and the teachers/tutors who teach them, always only on a material the viewer sees.


def can_review(dbsession: Session, user: User, material: Material) -> bool:
    """Give feedback on a material's submissions: those who may edit it, and its author (who
    set the homework and sees every submission on it)."""
    return material.author_id == user.id or can_edit(dbsession, user, material)


def visible_submissions_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause on ``MaterialSubmission`` selecting the submissions ``viewer`` may see."""
    if not viewer.is_active:
        return false()
    on_visible_material = MaterialSubmission.material_id.in_(
        select(Material.id).where(visible_materials_clause(viewer))
    )
    student = MaterialSubmission.student_id
    if viewer.role == Role.ADMIN.value:
        return on_visible_material
    if viewer.role == Role.STUDENT.value:
        return and_(on_visible_material, student == viewer.id)
    if viewer.role == Role.PARENT.value:
        return and_(on_visible_material, student.in_(people.children_of(viewer.id)))
    if viewer.role in people.TEACHING_ROLES:
        taught_subjects = select(TeacherSubject.subject_id).where(
            TeacherSubject.teacher_id == viewer.id, TeacherSubject.is_active.is_(True)
        )
        reviews = exists().where(
            Material.id == MaterialSubmission.material_id,
            or_(Material.author_id == viewer.id, Material.subject_id.in_(taught_subjects)),
        )
        return and_(
            on_visible_material,
            or_(
                reviews,
                student.in_(people.students_taught_by(people.session_of(viewer), viewer.id)),
            ),
        )
    return false()


def can_view_submission(
    dbsession: Session, viewer: User | None, submission: MaterialSubmission
) -> bool:
    if viewer is None:
        return False
    return bool(
        dbsession.scalar(
            select(true()).where(
                MaterialSubmission.id == submission.id, visible_submissions_clause(viewer)
            )
        )
    )
