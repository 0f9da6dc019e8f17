"""Who may start a direct chat with whom: one ``WHERE`` clause, for lists and single checks.

- an admin and anyone (both ways);
- a student and their teachers (active enrollment) and tutor;
- a teacher and the parents of their students, and the tutors sharing a student with them;
- a tutor and the parents of their students.

Never a student and an unrelated adult; inactive accounts are nobody's contacts. "Teaches"
is ``thebot.accounts.relationships.visibility.teaching_pairs`` (enrollments, tutoring).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User

ADMIN = Role.ADMIN.value
TEACHER = Role.TEACHER.value
TUTOR = Role.TUTOR.value


def contacts_clause(dbsession: Session, viewer: User) -> ColumnElement[bool]:
    """A ``WHERE`` clause on ``User``: the people ``viewer`` may start a direct chat with."""
    if not viewer.is_active:
        return false()
    others = and_(User.id != viewer.id, User.is_active.is_(True))
    if viewer.role == ADMIN:
        return others
    related: list[ColumnElement[bool]] = [User.role == ADMIN]
    if viewer.role == Role.STUDENT.value:
        related.append(User.id.in_(people.teachers_of(dbsession, viewer.id)))
    elif viewer.role in (TEACHER, TUTOR):
        taught = people.students_taught_by(dbsession, viewer.id)
        related.append(User.id.in_(taught))
        related.append(
            and_(User.role == Role.PARENT.value, User.id.in_(people.parents_of(taught)))
        )
        # teachers and tutors sharing a student (never teacher-teacher or tutor-tutor)
        colleague = TUTOR if viewer.role == TEACHER else TEACHER
        related.append(
            and_(User.role == colleague, User.id.in_(people.teachers_of(dbsession, taught)))
        )
    elif viewer.role == Role.PARENT.value:
        teachers = people.teachers_of(dbsession, people.children_of(viewer.id))
        related.append(and_(User.role.in_(people.TEACHING_ROLES), User.id.in_(teachers)))
    return and_(others, or_(*related))


def may_start_direct(dbsession: Session, viewer: User, target_id: int) -> bool:
    """Whether ``viewer`` may open a direct chat with the user ``target_id``."""
    return bool(
        dbsession.scalar(
            select(exists().where(User.id == target_id, contacts_clause(dbsession, viewer)))
        )
    )


def contacts_query(dbsession: Session, viewer: User) -> Select:
    """The contacts of ``viewer``, by name (one query)."""
    return (
        select(User)
        .where(contacts_clause(dbsession, viewer))
        .order_by(User.last_name, User.first_name, User.id)
    )
