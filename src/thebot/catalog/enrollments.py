"""Enrollments: the rules, as plain functions over a session.

An enrollment joins a student, a subject and a teacher or tutor actively assigned to it; at
most one is active per (student, subject): duplicates, even ones that lose the race to the
partial unique index, are 409.

An active enrollment is a teaching relation (``accounts.relationships.visibility``): its
teacher sees the student, their parents and reports. So creating one must never reach a
student the caller is not already related to. Who may enroll whom (``enrollable``):

- an admin: any active student, with any teacher of the subject;
- the student's own tutor (``StudentProfile.tutor_id``): with any teacher of the subject;
- a teacher or tutor who already teaches the student (an active enrollment with them as the
  teacher, in any subject: exactly the students they can see): with themself as the teacher
  only (naming another teacher is a 403);
- nobody else (there is no request flow: when a teacher should take on a new student, the
  student's tutor or an admin enrolls them with that teacher).

A student outside these sets is a 404 ``student_id`` that is the same whether the id does
not exist, is not a student, is inactive or is simply not the caller's; the check runs
before every other check that looks at the student (subject, teacher, duplicate), so no
answer tells such ids apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, joinedload

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, StudentProfile, User
from thebot.accounts.users.service import brief
from thebot.catalog.events import EnrollmentChanged
from thebot.catalog.models import Enrollment, EnrollmentStatus, Subject
from thebot.catalog.subjects import (
    ACTIVE,
    STAFF_ROLES,
    flush_or_conflict,
    subject_brief,
    users_by_id,
)
from thebot.catalog.teachers import teaches
from thebot.catalog.visibility import AS_ADMIN, AS_TUTOR, visible_enrollments_clause
from thebot.db import utcnow
from thebot.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from thebot.events import ids, record
from thebot.schemas import iso


def enrollments_query(viewer: User, **filters: Any) -> Select:
    """Enrollments ``viewer`` may see; filtered by student, subject, teacher, status."""
    stmt = (
        select(Enrollment)
        .options(joinedload(Enrollment.subject))
        .where(visible_enrollments_clause(viewer))
    )
    columns = {
        "student": Enrollment.student_id,
        "subject": Enrollment.subject_id,
        "teacher": Enrollment.teacher_id,
        "status": Enrollment.status,
    }
    for name, column in columns.items():
        if filters.get(name) is not None:
            stmt = stmt.where(column == filters[name])
    return stmt


def active_duplicate(student_id: int, subject_id: int, exclude: int | None = None) -> Any:
    others = [Enrollment.id != exclude] if exclude is not None else []
    return exists().where(
        Enrollment.student_id == student_id,
        Enrollment.subject_id == subject_id,
        Enrollment.status == ACTIVE,
        *others,
    )


DUPLICATE = "The student already has an active enrollment in this subject."


STUDENT_NOT_FOUND = "No student with this id that you may enroll."
NO_TEACHER = "No active teacher or tutor with this id"
NOT_ASSIGNED = "This teacher is not assigned to the subject"
# Non-admins see the teachers of a subject (its teacher list), not every account: one answer
# for an unknown id, another role and a teacher of other subjects.
NOT_A_TEACHER_OF_SUBJECT = "No teacher of this subject with this id"


def teacher_error(is_admin: bool, description: str) -> str:
    return description if is_admin else NOT_A_TEACHER_OF_SUBJECT


def enrollable(dbsession: Session, actor: User, student_id: int) -> tuple[bool, bool]:
    """``(may_enroll, with_any_teacher)`` for a non-admin ``actor`` and a student id: the
    student's own tutor enrolls them with any teacher; a teacher or tutor who already teaches
    them, with themself only. Unknown ids, other roles and inactive accounts are ``False``."""
    student = dbsession.get(User, student_id)
    if student is None or student.role != Role.STUDENT.value or not student.is_active:
        return False, False
    if actor.role not in people.TEACHING_ROLES:
        return False, False
    own = bool(
        dbsession.scalar(
            select(
                exists().where(
                    StudentProfile.user_id == student_id, StudentProfile.tutor_id == actor.id
                )
            )
        )
    )
    if own:
        return True, True
    return people.teaches(dbsession, actor.id, student_id), False


def create_enrollment(
    dbsession: Session,
    actor: User,
    *,
    student_id: int,
    subject_id: int,
    teacher_id: int | None = None,
    custom_subject_name: str | None = None,
) -> Enrollment:
    """Enroll a student (see the module docstring for who may enroll whom)."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("Students and parents cannot create enrollments.")
    if student_id == actor.id:
        raise Forbidden("You cannot enroll yourself.")
    if teacher_id is None:
        if actor.role not in people.TEACHING_ROLES:
            raise Invalid("teacher_id", "Required: the teacher or tutor of the enrollment")
        teacher_id = actor.id
    is_admin = actor.role == Role.ADMIN.value
    with_any_teacher = is_admin
    if not is_admin:
        # Before any other check on the student: a 404 that does not depend on whether the
        # id exists, what it is, or what it is enrolled in.
        may_enroll, with_any_teacher = enrollable(dbsession, actor, student_id)
        if not may_enroll:
            raise NotFound(
                STUDENT_NOT_FOUND, errors=[field_error("student_id", STUDENT_NOT_FOUND)]
            )
    errors = []
    student = dbsession.get(User, student_id)
    if student is None or student.role != Role.STUDENT.value or not student.is_active:
        errors.append(field_error("student_id", "No active student with this id"))
    subject = dbsession.get(Subject, subject_id)
    if subject is None:
        errors.append(field_error("subject_id", "No subject with this id"))
    teacher = dbsession.get(User, teacher_id)
    if teacher is None or not teacher.is_active or teacher.role not in people.TEACHING_ROLES:
        errors.append(field_error("teacher_id", teacher_error(is_admin, NO_TEACHER)))
    elif subject is not None and not teaches(dbsession, teacher, subject.id):
        errors.append(field_error("teacher_id", teacher_error(is_admin, NOT_ASSIGNED)))
    if errors:
        raise Invalid(errors=errors, detail=errors[0]["description"] if len(errors) == 1 else None)
    if not with_any_teacher and teacher_id != actor.id:
        raise Forbidden(
            "Only admins and the student's tutor may enroll a student with another teacher.",
            errors=[field_error("teacher_id", "Only admins and the student's tutor")],
        )
    if dbsession.scalar(select(active_duplicate(student_id, subject_id))):
        raise Conflict(DUPLICATE, errors=[field_error("subject_id", DUPLICATE)])
    enrollment = Enrollment(
        student_id=student_id,
        subject_id=subject_id,
        teacher_id=teacher_id,
        assigned_by_id=actor.id,
        custom_subject_name=custom_subject_name or None,
        status=ACTIVE,
    )
    dbsession.add(enrollment)
    flush_or_conflict(dbsession, "subject_id", DUPLICATE)
    event = EnrollmentChanged(
        enrollment_id=enrollment.id, student_ids=(student_id,), users=(teacher_id,)
    )
    record(dbsession, event)
    return enrollment


def still_teaches(dbsession: Session, enrollment: Enrollment) -> None:
    """Reactivating keeps the create rule: the teacher must still be an active teacher or
    tutor assigned to the subject, else the enrollment needs another teacher first (409)."""
    teacher = dbsession.get(User, enrollment.teacher_id)
    if (
        teacher is None
        or not teacher.is_active
        or not teaches(dbsession, teacher, enrollment.subject_id)
    ):
        detail = "The teacher no longer teaches this subject: set another teacher to reactivate."
        raise Conflict(detail, errors=[field_error("teacher_id", detail)])


def may_reattach(
    dbsession: Session, actor: User, enrollment: Enrollment, relations: frozenset[str]
) -> None:
    """Reactivating makes the teacher teach (and see) the student again: the create rule
    applies. Admins and the student's tutor may; the teacher only while they still teach
    the student through another active enrollment (else 403: a teacher the student left
    cannot bring them back, nor their profile, reports and parents into sight)."""
    if relations & {AS_ADMIN, AS_TUTOR}:
        return
    if not people.teaches(dbsession, actor.id, enrollment.student_id):
        raise Forbidden(
            "Only admins and the student's tutor may reactivate an enrollment of a student "
            "you no longer teach.",
            errors=[field_error("status", "Only admins and the student's tutor")],
        )


def update_enrollment(
    dbsession: Session,
    actor: User,
    enrollment: Enrollment,
    relations: frozenset[str],
    changes: dict[str, Any],
) -> list[str]:
    """Apply a PATCH by an editor (admin, the teacher, the student's tutor); returns the names
    of the fields that changed. Changing the teacher is for admins and the student's tutor."""
    changed: list[str] = []
    teacher_before = enrollment.teacher_id
    if "teacher_id" in changes and changes["teacher_id"] != enrollment.teacher_id:
        if not relations & {AS_ADMIN, AS_TUTOR}:
            raise Forbidden(
                "Only admins and the student's tutor may change the teacher.",
                errors=[field_error("teacher_id", "Only admins and the student's tutor")],
            )
        is_admin = AS_ADMIN in relations
        teacher = dbsession.get(User, changes["teacher_id"])
        if teacher is None or not teacher.is_active or teacher.role not in people.TEACHING_ROLES:
            raise Invalid("teacher_id", teacher_error(is_admin, NO_TEACHER))
        if not teaches(dbsession, teacher, enrollment.subject_id):
            raise Invalid("teacher_id", teacher_error(is_admin, NOT_ASSIGNED))
        enrollment.teacher_id = teacher.id
        changed.append("teacher_id")
    if "custom_subject_name" in changes:
        name = changes["custom_subject_name"] or None
        if name != enrollment.custom_subject_name:
            enrollment.custom_subject_name = name
            changed.append("custom_subject_name")
    status = changes.get("status", enrollment.status)
    if status != enrollment.status:
        if status == ACTIVE:
            may_reattach(dbsession, actor, enrollment, relations)
            if "teacher_id" not in changed:
                still_teaches(dbsession, enrollment)
            if dbsession.scalar(
                select(
                    active_duplicate(enrollment.student_id, enrollment.subject_id, enrollment.id)
                )
            ):
                raise Conflict(DUPLICATE, errors=[field_error("status", DUPLICATE)])
            enrollment.ended_at = None
        elif enrollment.status == ACTIVE:
            enrollment.ended_at = utcnow()
        enrollment.status = status
        changed.append("status")
    if changed:
        flush_or_conflict(dbsession, "status", DUPLICATE)
        event = EnrollmentChanged(
            enrollment_id=enrollment.id,
            student_ids=(enrollment.student_id,),
            users=ids([teacher_before, enrollment.teacher_id]),
        )
        record(dbsession, event)
    return changed


def enrollment_data(item: Enrollment, users: dict[int, User]) -> dict[str, Any]:
    by = users.get(item.assigned_by_id) if item.assigned_by_id else None
    return {
        "id": item.id,
        "student": brief(users[item.student_id]),
        "subject": subject_brief(item.subject),
        "subject_name": item.custom_subject_name or item.subject.name,
        "custom_subject_name": item.custom_subject_name,
        "teacher": brief(users[item.teacher_id]),
        "assigned_by": brief(by) if by is not None else None,
        "status": item.status,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "ended_at": iso(item.ended_at),
    }


def enrollment_items(dbsession: Session, items: list[Enrollment]) -> list[dict[str, Any]]:
    """JSON of enrollments (subjects eager-loaded) with one query for all the people."""
    users = users_by_id(
        dbsession, [i for e in items for i in (e.student_id, e.teacher_id, e.assigned_by_id)]
    )
    return [enrollment_data(e, users) for e in items]


def enrollment_relation() -> Select:
    """Teaching relation for the accounts rules: a teacher teaches their enrolled students."""
    return select(
        Enrollment.teacher_id.label("teacher_id"), Enrollment.student_id.label("student_id")
    ).where(Enrollment.status == EnrollmentStatus.ACTIVE.value)
