"""Who may teach what: ``TeacherSubject`` assignments, as plain functions over a session.

Removing one deactivates it (the row is the record), a 409 while the teacher has active
enrollments in the subject.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.accounts.users.service import brief
from thebot.catalog.events import TeacherAssignmentChanged
from thebot.catalog.models import Enrollment, Subject, TeacherSubject
from thebot.catalog.subjects import (
    ACTIVE,
    STAFF_ROLES,
    count_of,
    flush_or_conflict,
    visible_user_ids,
)
from thebot.errors import Conflict, Invalid
from thebot.events import record
from thebot.schemas import iso


def teachers_query(subject: Subject, viewer: User, *, is_active: bool = True) -> Select:
    """Assignments of a subject. Non-admins see active assignments of active accounts only;
    students and parents only the teachers they may see."""
    stmt = select(TeacherSubject).where(TeacherSubject.subject_id == subject.id)
    stmt = stmt.where(TeacherSubject.is_active.is_(is_active))
    if viewer.role != Role.ADMIN.value:
        stmt = stmt.where(
            TeacherSubject.is_active.is_(True),
            TeacherSubject.teacher_id.in_(select(User.id).where(User.is_active.is_(True))),
        )
    if viewer.role not in STAFF_ROLES:
        stmt = stmt.where(TeacherSubject.teacher_id.in_(visible_user_ids(viewer)))
    return stmt


def find_teacher(dbsession: Session, teacher_id: int, name: str = "teacher_id") -> User:
    teacher = dbsession.get(User, teacher_id)
    if teacher is None or not teacher.is_active or teacher.role not in people.TEACHING_ROLES:
        raise Invalid(name, "No active teacher or tutor with this id")
    return teacher


def assign_teacher(
    dbsession: Session, subject: Subject, teacher_id: int, *, is_active: bool = True
) -> tuple[TeacherSubject, User, bool, bool]:
    """Assign (or re-activate, or deactivate) a teacher; returns (assignment, teacher,
    created, changed)."""
    teacher = find_teacher(dbsession, teacher_id)
    assignment = dbsession.execute(
        select(TeacherSubject).where(
            TeacherSubject.subject_id == subject.id, TeacherSubject.teacher_id == teacher.id
        )
    ).scalar_one_or_none()
    if assignment is None:
        assignment = TeacherSubject(
            subject_id=subject.id, teacher_id=teacher.id, is_active=is_active
        )
        dbsession.add(assignment)
        flush_or_conflict(dbsession, "teacher_id", "This teacher was just assigned; retry.")
        record(dbsession, TeacherAssignmentChanged(users=(teacher.id,), subject_id=subject.id))
        return assignment, teacher, True, True
    return assignment, teacher, False, set_active(dbsession, assignment, is_active)


def set_active(dbsession: Session, assignment: TeacherSubject, is_active: bool) -> bool:
    """(De)activate an assignment; False when it already was. Deactivating is a 409 while
    the teacher has active enrollments in the subject."""
    if assignment.is_active == is_active:
        return False
    if not is_active:
        check_no_active_enrollments(dbsession, assignment)
    assignment.is_active = is_active
    dbsession.flush()
    event = TeacherAssignmentChanged(
        users=(assignment.teacher_id,), subject_id=assignment.subject_id
    )
    record(dbsession, event)
    return True


def check_no_active_enrollments(dbsession: Session, assignment: TeacherSubject) -> None:
    # Locked: an enrollment being created with this teacher (which holds a share lock on
    # the assignment, see ``teaches``) commits first and is counted, or sees it inactive.
    dbsession.execute(
        select(TeacherSubject.id).where(TeacherSubject.id == assignment.id).with_for_update()
    )
    count = dbsession.scalar(
        select(
            count_of(
                Enrollment,
                Enrollment.subject_id == assignment.subject_id,
                Enrollment.teacher_id == assignment.teacher_id,
                Enrollment.status == ACTIVE,
            )
        )
    )
    if count:
        raise Conflict(
            f"The teacher has {count} active enrollment(s) in this subject; "
            "reassign or end them first.",
            active_enrollments=count,
        )


def teaches(dbsession: Session, teacher: User, subject_id: int) -> bool:
    """An active assignment of this teacher/tutor to the subject, share-locked until commit."""
    if teacher.role not in people.TEACHING_ROLES:
        return False
    found = dbsession.scalar(
        select(TeacherSubject.id)
        .where(
            TeacherSubject.teacher_id == teacher.id,
            TeacherSubject.subject_id == subject_id,
            TeacherSubject.is_active.is_(True),
        )
        .with_for_update(read=True)
    )
    return found is not None


def assignment_data(assignment: TeacherSubject, teacher: User) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "subject_id": assignment.subject_id,
        "teacher": brief(teacher),
        "is_active": assignment.is_active,
        "created_at": iso(assignment.created_at),
    }
