"""Subjects, who may teach them, and enrollments: the rules, as plain functions over a session.

- Subject names are unique (case-insensitively as far as the database folds case). DELETE is
  a 409 while enrollments or materials (soft-deleted ones too: history stays) refer to it.
- ``TeacherSubject`` says who may teach what; removing one deactivates it (the row is the
  record), a 409 while the teacher has active enrollments in the subject.
- An enrollment joins a student, a subject and a teacher or tutor actively assigned to it;
  at most one is active per (student, subject): duplicates, even ones that lose the race to
  the partial unique index, are 409. Admins, the student's tutor or the teacher create them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, StudentProfile, User
from thebot.accounts.service import conflict, field_error, invalid, iso
from thebot.db import utcnow
from thebot.errors import APIProblem
from thebot.materials.models import (
    Enrollment,
    EnrollmentStatus,
    Material,
    Subject,
    TeacherSubject,
)
from thebot.materials.progress import refresh_student_stats
from thebot.materials.subject_resources import (
    AS_ADMIN,
    AS_TUTOR,
    tutored_by,
    visible_enrollments_clause,
)

ACTIVE = EnrollmentStatus.ACTIVE.value
# Roles that see the whole map of who teaches what (they enrol students with teachers).
STAFF_ROLES = (Role.ADMIN.value, *people.TEACHING_ROLES)


def flush_or_conflict(dbsession: Session, name: str, description: str) -> None:
    """Flush in a savepoint: a unique violation lost to a concurrent request becomes a 409."""
    try:
        with dbsession.begin_nested():
            dbsession.flush()
    except IntegrityError as exc:
        raise conflict(name, description) from exc


def count_of(model: Any, *where: Any) -> Any:
    """``(SELECT count(*) FROM model WHERE ...)`` as a scalar subquery."""
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def visible_user_ids(viewer: User) -> Select:
    return select(User.id).where(people.visible_users_clause(viewer))


# --- subjects -----------------------------------------------------------------------------


def subject_brief(subject: Subject) -> dict[str, Any]:
    return {"id": subject.id, "name": subject.name, "color": subject.color}


def subject_data(subject: Subject) -> dict[str, Any]:
    return {
        **subject_brief(subject),
        "description": subject.description,
        "created_at": iso(subject.created_at),
        "updated_at": iso(subject.updated_at),
    }


def subjects_query(viewer: User, *, q: str | None = None, teacher_id: int | None = None) -> Select:
    """The catalogue; ``teacher_id``: subjects that user actively teaches (students and parents
    only learn that about teachers they may see)."""
    stmt = select(Subject)
    if q:
        stmt = stmt.where(Subject.name.icontains(q, autoescape=True))
    if teacher_id is not None:
        stmt = stmt.where(Subject.id.in_(subjects_taught_ids(teacher_id)))
        if viewer.role not in STAFF_ROLES:
            stmt = stmt.where(exists(visible_user_ids(viewer).where(User.id == teacher_id)))
    return stmt


def subjects_taught_ids(teacher_id: int) -> Select:
    """``SELECT subject_id`` of the active teacher-subject assignments of ``teacher_id``."""
    return select(TeacherSubject.subject_id).where(
        TeacherSubject.teacher_id == teacher_id, TeacherSubject.is_active.is_(True)
    )


def subjects_taught(dbsession: Session, teacher_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Subjects each teacher/tutor actively teaches, in one query (for profiles and lists)."""
    ids = set(teacher_ids)
    taught: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return taught
    rows = dbsession.execute(
        select(TeacherSubject.teacher_id, Subject)
        .join(Subject, Subject.id == TeacherSubject.subject_id)
        .where(TeacherSubject.teacher_id.in_(ids), TeacherSubject.is_active.is_(True))
        .order_by(Subject.name, Subject.id)
    ).all()
    for teacher_id, subject in rows:
        taught[teacher_id].append(subject_brief(subject))
    return taught


def check_name_free(dbsession: Session, name: str, exclude: int | None = None) -> None:
    same = func.lower(Subject.name) == name.lower()
    others = [Subject.id != exclude] if exclude is not None else []
    if dbsession.scalar(select(exists().where(same, *others))):
        raise conflict("name", "A subject with this name already exists.")


def create_subject(dbsession: Session, *, name: str, description: str = "", color: str) -> Subject:
    check_name_free(dbsession, name)
    subject = Subject(name=name, description=description, color=color.lower())
    dbsession.add(subject)
    flush_or_conflict(dbsession, "name", "A subject with this name already exists.")
    return subject


def update_subject(dbsession: Session, subject: Subject, changes: dict[str, Any]) -> list[str]:
    """Apply a PATCH; returns the names of the fields that changed."""
    if "color" in changes:
        changes["color"] = changes["color"].lower()
    if "name" in changes and changes["name"] != subject.name:
        check_name_free(dbsession, changes["name"], exclude=subject.id)
    changed = [f for f in sorted(changes) if getattr(subject, f) != changes[f]]
    for field in changed:
        setattr(subject, field, changes[field])
    flush_or_conflict(dbsession, "name", "A subject with this name already exists.")
    return changed


def delete_subject(dbsession: Session, subject: Subject) -> list[int]:
    """Delete a subject nothing refers to; returns the teachers who were assigned to it.

    The row lock makes a concurrent enrollment or material wait (or be seen): the cascade
    must never delete one silently (PostgreSQL; SQLite serializes writers anyway)."""
    dbsession.execute(select(Subject.id).where(Subject.id == subject.id).with_for_update())
    enrollments, materials = dbsession.execute(
        select(*[count_of(m, m.subject_id == subject.id) for m in (Enrollment, Material)])
    ).one()
    if enrollments or materials:
        raise APIProblem(
            409,
            f"The subject still has {enrollments} enrollment(s) and {materials} material(s); "
            "end and remove them first, or rename the subject instead.",
            enrollments=enrollments,
            materials=materials,
        )
    teachers = dbsession.scalars(
        delete(TeacherSubject)
        .where(TeacherSubject.subject_id == subject.id)
        .returning(TeacherSubject.teacher_id)
    ).all()
    dbsession.delete(subject)
    dbsession.flush()
    return list(teachers)


# --- teacher-subject assignments ------------------------------------------------------


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
        raise invalid(name, "No active teacher or tutor with this id")
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
        raise APIProblem(
            409,
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


# --- enrollments ----------------------------------------------------------------------


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


def create_enrollment(
    dbsession: Session,
    actor: User,
    *,
    student_id: int,
    subject_id: int,
    teacher_id: int | None = None,
    custom_subject_name: str | None = None,
) -> Enrollment:
    if actor.role not in STAFF_ROLES:
        raise APIProblem(403, "Students and parents cannot create enrollments.")
    if student_id == actor.id:
        raise APIProblem(403, "You cannot enroll yourself.")
    if teacher_id is None:
        if actor.role not in people.TEACHING_ROLES:
            raise invalid("teacher_id", "Required: the teacher or tutor of the enrollment")
        teacher_id = actor.id
    errors = []
    student = dbsession.get(User, student_id)
    if student is None or student.role != Role.STUDENT.value or not student.is_active:
        errors.append(field_error("student_id", "No active student with this id"))
    subject = dbsession.get(Subject, subject_id)
    if subject is None:
        errors.append(field_error("subject_id", "No subject with this id"))
    teacher = dbsession.get(User, teacher_id)
    if teacher is None or not teacher.is_active or teacher.role not in people.TEACHING_ROLES:
        errors.append(field_error("teacher_id", "No active teacher or tutor with this id"))
    elif subject is not None and not teaches(dbsession, teacher, subject.id):
        errors.append(field_error("teacher_id", "This teacher is not assigned to the subject"))
    if errors:
        detail = (
            errors[0]["description"] if len(errors) == 1 else f"{len(errors)} fields are invalid"
        )
        raise APIProblem(400, detail, errors=errors)
    allowed = (
        actor.role == Role.ADMIN.value
        or actor.id == teacher_id
        or student_id
        in dbsession.scalars(tutored_by(actor.id).where(StudentProfile.user_id == student_id))
    )
    if not allowed:
        raise APIProblem(
            403, "Only admins, the student's tutor or the teacher may create this enrollment."
        )
    if dbsession.scalar(select(active_duplicate(student_id, subject_id))):
        raise conflict("subject_id", DUPLICATE)
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
    refresh_student_stats(dbsession, [student_id])  # the subject's materials now count
    return enrollment


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
    if "teacher_id" in changes and changes["teacher_id"] != enrollment.teacher_id:
        if not relations & {AS_ADMIN, AS_TUTOR}:
            raise APIProblem(
                403,
                "Only admins and the student's tutor may change the teacher.",
                errors=[field_error("teacher_id", "Only admins and the student's tutor")],
            )
        teacher = find_teacher(dbsession, changes["teacher_id"])
        if not teaches(dbsession, teacher, enrollment.subject_id):
            raise invalid("teacher_id", "This teacher is not assigned to the subject")
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
            if dbsession.scalar(
                select(
                    active_duplicate(enrollment.student_id, enrollment.subject_id, enrollment.id)
                )
            ):
                raise conflict("status", DUPLICATE)
            enrollment.ended_at = None
        elif enrollment.status == ACTIVE:
            enrollment.ended_at = utcnow()
        enrollment.status = status
        changed.append("status")
    if changed:
        flush_or_conflict(dbsession, "status", DUPLICATE)
    if "status" in changed:
        refresh_student_stats(dbsession, [enrollment.student_id])
    return changed
