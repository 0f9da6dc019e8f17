"""Who an assignment is assigned to: explicit students and, with ``assign_to_subject``, every
student actively enrolled in the subject, resolved at query time (a student who enrolls later
is assigned; one who drops out is not). A non-admin author may only name students they teach
or who are enrolled in the subject.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, delete, exists, or_, select, union
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.assignments.models import Assignment, AssignmentAssignee
from thebot.catalog.models import Enrollment, EnrollmentStatus

ACTIVE_ENROLLMENT = EnrollmentStatus.ACTIVE.value


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN.value


def assigned_students(assignment: Assignment) -> Select:
    """``SELECT student_id`` of the students assigned right now (explicit and enrolled)."""
    explicit = select(AssignmentAssignee.student_id.label("student_id")).where(
        AssignmentAssignee.assignment_id == assignment.id
    )
    if not assignment.assign_to_subject:
        return explicit
    enrolled = select(Enrollment.student_id.label("student_id")).where(
        Enrollment.subject_id == assignment.subject_id,
        Enrollment.status == ACTIVE_ENROLLMENT,
    )
    return select(union(explicit, enrolled).subquery().c.student_id)


def assigned_ids(dbsession: Session, assignment: Assignment) -> set[int]:
    return set(dbsession.execute(assigned_students(assignment)).scalars())


def is_assigned(dbsession: Session, assignment: Assignment, student_id: int) -> bool:
    subquery = assigned_students(assignment).subquery()
    return bool(dbsession.scalar(select(exists().where(subquery.c.student_id == student_id))))


def assignee_users(dbsession: Session, assignment: Assignment) -> list[User]:
    """The active students assigned right now, by id."""
    stmt = (
        select(User)
        .where(User.id.in_(assigned_students(assignment)), User.is_active.is_(True))
        .order_by(User.id)
    )
    return list(dbsession.execute(stmt).scalars())


def explicit_assignees(dbsession: Session, ids: Sequence[int]) -> dict[int, list[int]]:
    """Explicit student ids per assignment id, for many assignments in one query."""
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        rows = dbsession.execute(
            select(AssignmentAssignee.assignment_id, AssignmentAssignee.student_id)
            .where(AssignmentAssignee.assignment_id.in_(ids))
            .order_by(AssignmentAssignee.student_id)
        )
        for assignment_id, student_id in rows:
            found[assignment_id].append(student_id)
    return found


def assignable(actor: User, subject_id: int, student_ids: Iterable[int]) -> Select:
    """``SELECT id`` of those of ``student_ids`` the actor may assign: active students, and
    for a non-admin only students they teach or who are enrolled in the subject."""
    stmt = select(User.id).where(
        User.id.in_(list(student_ids)), User.role == Role.STUDENT.value, User.is_active.is_(True)
    )
    if is_admin(actor):
        return stmt
    enrolled = select(Enrollment.student_id).where(
        Enrollment.subject_id == subject_id, Enrollment.status == ACTIVE_ENROLLMENT
    )
    return stmt.where(
        or_(
            User.id.in_(people.students_taught_by(people.session_of(actor), actor.id)),
            User.id.in_(enrolled),
        )
    )


def set_assignees(dbsession: Session, assignment: Assignment, student_ids: list[int]) -> None:
    current = set(explicit_assignees(dbsession, [assignment.id])[assignment.id])
    wanted = set(student_ids)
    if current - wanted:
        dbsession.execute(
            delete(AssignmentAssignee).where(
                AssignmentAssignee.assignment_id == assignment.id,
                AssignmentAssignee.student_id.in_(current - wanted),
            )
        )
    for student_id in sorted(wanted - current):
        dbsession.add(AssignmentAssignee(assignment_id=assignment.id, student_id=student_id))
