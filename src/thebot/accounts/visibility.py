"""Who may see whom: the one place that answers it, for single users and for lists.

- admins see everyone; everyone sees themself;
- a teacher sees the students they teach; a tutor sees the students they teach and those
  students' parents;
- a parent sees their children and the teachers/tutors of those children;
- a student sees their teachers/tutor and their parents.

"Teaches" is a pluggable relation: each feature that makes a teacher teach a student (the
tutor assignment on the student profile here; enrollments in ``thebot.catalog``) adds a
*teaching relation provider* returning ``SELECT teacher_id, student_id`` in its
``includeme``. Every rule below reads the union of those providers, so a new feature widens
visibility in one call:

    config.add_teaching_relation("enrollment", lambda: select(
        Enrollment.teacher_id.label("teacher_id"), Enrollment.student_id.label("student_id")
    ).where(Enrollment.status == "active"))

The providers live in the application registry; the rules find it through the session they
are given (``dbsession.info``: the request of a request's or task's session, or the
``registry`` of a plain one), like ``thebot.events.record``. A clause built for a ``viewer``
alone uses the viewer's own session.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    exists,
    false,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.elements import BindParameter

from thebot.accounts.models import ParentLink, Role, StudentProfile, User

TeachingRelation = Callable[[], Select]
RELATIONS_KEY = "thebot.teaching_relations"  # registry: name -> TeachingRelation
STATEMENTS_KEY = "thebot.teaching_statements"  # registry: statements built over them

# Relation names between a viewer and a target user (see ``relations``).
SELF = "self"
ADMIN = "admin"
TUTOR = "tutor"  # the viewer is the student's assigned tutor (StudentProfile.tutor_id)
TEACHES = "teaches"  # the viewer teaches the student (any teaching relation)
PARENT = "parent"  # the viewer is a parent of the student
TAUGHT = "taught"  # the viewer is a student the target teaches
PARENT_OF_TAUGHT = "parent_of_taught"  # the viewer's child is taught by the target
CHILD = "child"  # the viewer is a child of the target parent
TUTOR_OF_CHILD = "tutor_of_child"  # the viewer (a tutor) teaches a child of the target

TEACHING_ROLES = (Role.TEACHER.value, Role.TUTOR.value)


def add_teaching_relation(config: Any, name: str, provider: TeachingRelation) -> None:
    """Config directive ``config.add_teaching_relation(name, provider)``: ``provider()``
    returns ``SELECT teacher_id, student_id`` rows of who teaches whom (one per name)."""

    def register() -> None:
        config.registry.setdefault(RELATIONS_KEY, {})[name] = provider
        config.registry.pop(STATEMENTS_KEY, None)  # built over the relations known so far

    config.action(("thebot.teaching_relation", name), register)


def teaching_relations(dbsession: Session) -> Mapping[str, TeachingRelation]:
    """The teaching relations configured on the application ``dbsession`` belongs to."""
    return _registry_of(dbsession).get(RELATIONS_KEY, {})


def _registry_of(dbsession: Session) -> Any:
    request = dbsession.info.get("request")
    registry = request.registry if request is not None else dbsession.info.get("registry")
    if registry is None:
        raise RuntimeError("teaching relations: the session knows no request nor registry")
    return registry


def session_of(viewer: User) -> Session:
    """The session ``viewer`` was loaded in (a clause built for a viewer alone uses it)."""
    dbsession = object_session(viewer)
    if dbsession is None:
        raise RuntimeError(f"user {viewer.id} is detached: pass the session explicitly")
    return dbsession


def tutor_relation() -> Select:
    """A student's assigned tutor teaches them."""
    return select(
        StudentProfile.tutor_id.label("teacher_id"), StudentProfile.user_id.label("student_id")
    ).where(StudentProfile.tutor_id.is_not(None))


def teaching_pairs(dbsession: Session) -> Select:
    """``SELECT teacher_id, student_id`` over every configured teaching relation."""
    selects = [provider() for provider in teaching_relations(dbsession).values()]
    if not selects:  # nobody teaches anybody: an empty relation of the right shape
        return select(literal(None).label("teacher_id"), literal(None).label("student_id")).where(
            false()
        )
    if len(selects) == 1:
        return selects[0]
    return select(union_all(*selects).subquery("teaching"))


def students_taught_by(dbsession: Session, teacher_id: Any) -> Select:
    """``SELECT student_id`` of the students ``teacher_id`` (an id or a bound parameter)
    teaches. The bound-parameter form is built once per application (the relations are
    fixed once it is configured; building the union is most of a small request's cost)."""
    if isinstance(teacher_id, BindParameter):
        built = _registry_of(dbsession).setdefault(STATEMENTS_KEY, {})
        key = ("students_taught_by", teacher_id.key)
        if key not in built:
            built[key] = _students_taught_by(dbsession, teacher_id)
        return built[key]
    return _students_taught_by(dbsession, teacher_id)


def _students_taught_by(dbsession: Session, teacher_id: Any) -> Select:
    pairs = teaching_pairs(dbsession).subquery()
    return select(pairs.c.student_id).where(pairs.c.teacher_id == teacher_id)


def teachers_of(dbsession: Session, student_ids: int | Select) -> Select:
    """``SELECT teacher_id`` of the teachers/tutors of one student or of a set of students."""
    pairs = teaching_pairs(dbsession).subquery()
    if isinstance(student_ids, int):
        return select(pairs.c.teacher_id).where(pairs.c.student_id == student_ids)
    return select(pairs.c.teacher_id).where(pairs.c.student_id.in_(student_ids))


def tutored_by(tutor_id: Any) -> Select:
    """``SELECT user_id`` of the students whose assigned tutor is ``tutor_id`` (an id or a
    bound parameter)."""
    return select(StudentProfile.user_id).where(StudentProfile.tutor_id == tutor_id)


def children_of(parent_id: Any) -> Select:
    return select(ParentLink.student_id).where(ParentLink.parent_id == parent_id)


def parents_of(student_ids: int | Select) -> Select:
    if isinstance(student_ids, int):
        return select(ParentLink.parent_id).where(ParentLink.student_id == student_ids)
    return select(ParentLink.parent_id).where(ParentLink.student_id.in_(student_ids))


def teaches(dbsession: Session, teacher_id: int, student_id: int) -> bool:
    pairs = teaching_pairs(dbsession).subquery()
    return bool(
        dbsession.scalar(
            select(
                exists().where(pairs.c.teacher_id == teacher_id, pairs.c.student_id == student_id)
            )
        )
    )


def visible_users_clause(viewer: User, dbsession: Session | None = None) -> ColumnElement[bool]:
    """A ``WHERE`` clause on ``User`` selecting exactly the users ``viewer`` may see
    (``dbsession``: the viewer's own session by default)."""
    if viewer.role == Role.ADMIN.value:
        return User.id.is_not(None)
    db = dbsession if dbsession is not None else session_of(viewer)
    others: Select | CompoundSelect | None = None
    if viewer.role == Role.TEACHER.value:
        others = students_taught_by(db, viewer.id)
    elif viewer.role == Role.TUTOR.value:
        taught = students_taught_by(db, viewer.id)
        others = union_all(taught, parents_of(taught))
    elif viewer.role == Role.PARENT.value:
        others = union_all(children_of(viewer.id), teachers_of(db, children_of(viewer.id)))
    elif viewer.role == Role.STUDENT.value:
        others = union_all(teachers_of(db, viewer.id), parents_of(viewer.id))
    if others is None:
        return User.id == viewer.id
    return or_(User.id == viewer.id, User.id.in_(others))


def relations(dbsession: Session, viewer: User | None, target: User) -> frozenset[str]:
    """How ``viewer`` relates to ``target`` (empty: not at all, so ``target`` is invisible)."""
    if viewer is None:
        return frozenset()
    if viewer.id == target.id:
        return frozenset({SELF})
    if viewer.role == Role.ADMIN.value:
        return frozenset({ADMIN})
    checks = _relation_checks(dbsession, viewer, target)
    if not checks:
        return frozenset()
    row = dbsession.execute(select(*[c.label(name) for name, c in checks.items()])).one()
    return frozenset(name for name in checks if getattr(row, name))


def can_see(dbsession: Session, viewer: User | None, target: User) -> bool:
    return bool(relations(dbsession, viewer, target))


def _relation_checks(
    dbsession: Session, viewer: User, target: User
) -> dict[str, ColumnElement[bool]]:
    """EXISTS clauses for the relations possible between these two roles."""
    checks: dict[str, ColumnElement[bool]] = {}
    if target.role == Role.STUDENT.value:
        if viewer.role in TEACHING_ROLES:
            checks[TEACHES] = _pair_exists(dbsession, viewer.id, target.id)
            if viewer.role == Role.TUTOR.value:
                checks[TUTOR] = exists().where(
                    StudentProfile.user_id == target.id, StudentProfile.tutor_id == viewer.id
                )
        elif viewer.role == Role.PARENT.value:
            checks[PARENT] = _link_exists(target.id, viewer.id)
    elif target.role in TEACHING_ROLES:
        if viewer.role == Role.STUDENT.value:
            checks[TAUGHT] = _pair_exists(dbsession, target.id, viewer.id)
        elif viewer.role == Role.PARENT.value:
            pairs = teaching_pairs(dbsession).subquery()
            checks[PARENT_OF_TAUGHT] = exists().where(
                pairs.c.teacher_id == target.id,
                pairs.c.student_id.in_(children_of(viewer.id)),
            )
    elif target.role == Role.PARENT.value:
        if viewer.role == Role.STUDENT.value:
            checks[CHILD] = _link_exists(viewer.id, target.id)
        elif viewer.role == Role.TUTOR.value:
            checks[TUTOR_OF_CHILD] = exists().where(
                ParentLink.parent_id == target.id,
                ParentLink.student_id.in_(students_taught_by(dbsession, viewer.id)),
            )
    return checks


def _pair_exists(dbsession: Session, teacher_id: int, student_id: int) -> ColumnElement[bool]:
    pairs = teaching_pairs(dbsession).subquery()
    return exists().where(pairs.c.teacher_id == teacher_id, pairs.c.student_id == student_id)


def _link_exists(student_id: int, parent_id: int) -> ColumnElement[bool]:
    return exists().where(ParentLink.student_id == student_id, ParentLink.parent_id == parent_id)
