"""Subjects: the catalogue and its rules, as plain functions over a session.

- Subject names are unique (case-insensitively as far as the database folds case). DELETE is
  a 409 while enrollments or materials (soft-deleted ones too: history stays) refer to it.

Who may teach them: ``teacher_subjects``; enrollments: ``enrollments``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.catalog.events import SubjectChanged
from thebot.catalog.models import Enrollment, EnrollmentStatus, Subject, TeacherSubject
from thebot.errors import Conflict, field_error
from thebot.events import ids, record
from thebot.schemas import iso

ACTIVE = EnrollmentStatus.ACTIVE.value
# Roles that see the whole map of who teaches what (they enrol students with teachers).
STAFF_ROLES = (Role.ADMIN.value, *people.TEACHING_ROLES)
NAME_TAKEN = "A subject with this name already exists."


def flush_or_conflict(dbsession: Session, name: str, description: str) -> None:
    """Flush in a savepoint: a unique violation lost to a concurrent request becomes a 409."""
    try:
        with dbsession.begin_nested():
            dbsession.flush()
    except IntegrityError as exc:
        raise Conflict(description, errors=[field_error(name, description)]) from exc


def count_of(model: Any, *where: Any) -> Any:
    """``(SELECT count(*) FROM model WHERE ...)`` as a scalar subquery."""
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def users_by_id(dbsession: Session, ids: Iterable[int | None]) -> dict[int, User]:
    """Users by id in one query (none when there is nothing to load)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in dbsession.scalars(select(User).where(User.id.in_(wanted)))}


def visible_user_ids(viewer: User) -> Select:
    return select(User.id).where(people.visible_users_clause(viewer))


# --- subjects -----------------------------------------------------------------------------


SUBJECT_BRIEF_FIELDS = ("id", "name", "color")


def subject_brief(subject: Subject) -> dict[str, Any]:
    return {name: getattr(subject, name) for name in SUBJECT_BRIEF_FIELDS}


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


def subjects_taught_ids(teacher_id: Any) -> Select:
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
        raise Conflict(NAME_TAKEN, errors=[field_error("name", NAME_TAKEN)])


def create_subject(dbsession: Session, *, name: str, description: str = "", color: str) -> Subject:
    check_name_free(dbsession, name)
    subject = Subject(name=name, description=description, color=color.lower())
    dbsession.add(subject)
    flush_or_conflict(dbsession, "name", NAME_TAKEN)
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
    flush_or_conflict(dbsession, "name", NAME_TAKEN)
    if changed:
        record(dbsession, SubjectChanged(subject_id=subject.id))
    return changed


def delete_subject(dbsession: Session, subject: Subject) -> list[int]:
    """Delete a subject nothing refers to; returns the teachers who were assigned to it.

    The row lock makes a concurrent enrollment or material wait (or be seen): the cascade
    must never delete one silently (PostgreSQL; SQLite serializes writers anyway)."""
    subject_id = subject.id
    dbsession.execute(select(Subject.id).where(Subject.id == subject_id).with_for_update())
    # Materials (a feature above this one) refer to subjects too: counted through the
    # table, which this feature may name but not import.
    material = Subject.metadata.tables["material"]
    enrollments, materials = dbsession.execute(
        select(
            count_of(Enrollment, Enrollment.subject_id == subject.id),
            count_of(material, material.c.subject_id == subject.id),
        )
    ).one()
    if enrollments or materials:
        raise Conflict(
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
    event = SubjectChanged(subject_id=subject_id, deleted=True, teacher_ids=ids(teachers))
    record(dbsession, event)
    return list(teachers)
