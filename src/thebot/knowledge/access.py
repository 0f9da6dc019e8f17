"""Who may do what in the knowledge graph: the one place every view and service asks.

Authored content (elements, lessons, templates) belongs to a subject:
- admins read and edit everything;
- a teacher or tutor assigned to the subject (an active ``TeacherSubject``) authors in it,
  reads their own content and what others of the subject shared, and edits only their own;
- nobody else reads it (students see lessons only through their own graph, without answers).

A student graph belongs to its student and subject (``relations``):
- ``student``: the student learns (start, answer, read, watch) and reads;
- ``parent`` (a parent of the student): reads;
- ``teacher`` (teaches the student the graph's subject: an active enrollment): reads, edits
  the graph, grades its text problems;
- ``tutor`` (the student's assigned tutor): the same as the teacher;
- ``admin``: reads, edits, grades; never learns in someone's place.
A graph is created only for a student with an active enrollment in the subject, by that
student's teacher of the subject, their tutor or an admin (``can_build_graph``).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, Role, StudentProfile, User
from thebot.accounts.users.service import is_admin
from thebot.catalog.models import Enrollment, TeacherSubject
from thebot.knowledge.models import GraphKind, KnowledgeGraph

TEACHING_ROLES = (Role.TEACHER.value, Role.TUTOR.value)

# Relations of a viewer to a student graph.
STUDENT = "student"
PARENT = "parent"
TEACHER = "teacher"
TUTOR = "tutor"
ADMIN = "admin"

# Actions on a student graph, and the relations allowed each.
VIEW = "view"
EDIT = "edit"
LEARN = "learn"
GRADE = "grade"
ALLOWED = {
    VIEW: frozenset({STUDENT, PARENT, TEACHER, TUTOR, ADMIN}),
    EDIT: frozenset({TEACHER, TUTOR, ADMIN}),
    LEARN: frozenset({STUDENT}),
    GRADE: frozenset({TEACHER, TUTOR, ADMIN}),
}


def _active_enrollment(student_id: Any, subject_id: Any) -> Any:
    return and_(
        Enrollment.student_id == student_id,
        Enrollment.subject_id == subject_id,
        Enrollment.status == "active",
    )


def viewer_kind(viewer: User) -> str:
    """Which rule set of the clauses below applies to ``viewer`` (each is built once per
    kind, the viewer's id bound): ``admin``, ``parent``, ``teacher`` (teachers and tutors)
    or ``student``."""
    if is_admin(viewer):
        return ADMIN
    if viewer.role == Role.PARENT.value:
        return PARENT
    if viewer.role in TEACHING_ROLES:
        return TEACHER
    return STUDENT


# --- authored content -----------------------------------------------------------------


def authored_subjects(viewer_id: Any) -> Any:
    """``SELECT subject_id`` of the subjects the viewer is assigned to teach."""
    return select(TeacherSubject.subject_id).where(
        TeacherSubject.teacher_id == viewer_id, TeacherSubject.is_active.is_(True)
    )


def can_author(dbsession: Session, viewer: User, subject_id: int) -> bool:
    """May ``viewer`` create content (and templates) in ``subject_id``?"""
    if is_admin(viewer):
        return True
    if viewer.role not in TEACHING_ROLES:
        return False
    return bool(
        dbsession.scalar(
            select(
                exists().where(
                    TeacherSubject.teacher_id == viewer.id,
                    TeacherSubject.subject_id == subject_id,
                    TeacherSubject.is_active.is_(True),
                )
            )
        )
    )


def readable_content_clause(viewer: User, model: Any) -> ColumnElement[bool]:
    """Rows of ``model`` (``Element``, ``Lesson`` or a template ``KnowledgeGraph``, all
    carrying ``author_id``, ``subject_id`` and, but for templates, ``shared``) that
    ``viewer`` may read."""
    return _readable_content(model, viewer_kind(viewer), viewer.id)


@functools.cache
def readable_content_template(model: Any, kind: str) -> ColumnElement[bool]:
    """``readable_content_clause`` for a ``viewer_kind``, built once, with the viewer's id
    as the bound parameter ``viewer_id``."""
    return _readable_content(model, kind, bindparam("viewer_id"))


def _readable_content(model: Any, kind: str, viewer_id: Any) -> ColumnElement[bool]:
    if kind == ADMIN:
        return true()
    if kind != TEACHER:
        return false()
    in_subject = model.subject_id.in_(authored_subjects(viewer_id))
    shared = getattr(model, "shared", None)
    if shared is None:  # templates are the subject's shared paths
        return or_(model.author_id == viewer_id, in_subject)
    return or_(model.author_id == viewer_id, and_(shared.is_(True), in_subject))


def can_edit_content(viewer: User, row: Any) -> bool:
    """Authors edit their own content; admins edit anything."""
    return is_admin(viewer) or (row.author_id is not None and row.author_id == viewer.id)


# --- student graphs ---------------------------------------------------------------------


def _teaches(student_id: Any, subject_id: Any, viewer_id: Any) -> Any:
    return exists().where(
        _active_enrollment(student_id, subject_id), Enrollment.teacher_id == viewer_id
    )


def _tutors(student_id: Any, viewer_id: Any) -> Any:
    return exists().where(
        StudentProfile.user_id == student_id, StudentProfile.tutor_id == viewer_id
    )


def _parent_of(student_id: Any, viewer_id: Any) -> Any:
    return exists().where(ParentLink.parent_id == viewer_id, ParentLink.student_id == student_id)


# The relation look-ups of one graph read, built once (bound parameters): every request
# for a student graph runs them, and building them was most of their cost.
_VIEWER: Any = bindparam("viewer_id")
_STUDENT_ID: Any = bindparam("student_id")
_TEACHES = _teaches(_STUDENT_ID, bindparam("subject_id"), _VIEWER)
_TUTORS = _tutors(_STUDENT_ID, _VIEWER)
_PARENT = select(_parent_of(_STUDENT_ID, _VIEWER))
_TEACHING = select(_TEACHES.label("teaches"), _TUTORS.label("tutors"))


def teaches_subject_to(dbsession: Session, viewer: User, student_id: int, subject_id: int) -> bool:
    """Has ``viewer`` an active enrollment teaching ``student_id`` in ``subject_id``?"""
    params = {"viewer_id": viewer.id, "student_id": student_id, "subject_id": subject_id}
    return bool(dbsession.scalar(select(_TEACHES), params))


def tutors(dbsession: Session, viewer: User, student_id: int) -> bool:
    params = {"viewer_id": viewer.id, "student_id": student_id}
    return bool(dbsession.scalar(select(_TUTORS), params))


def relations(dbsession: Session, viewer: User | None, graph: KnowledgeGraph) -> frozenset[str]:
    """``viewer``'s relations to a student graph (empty for templates and strangers)."""
    if viewer is None or graph.kind != GraphKind.STUDENT.value or graph.student_id is None:
        return frozenset()
    found = _own_relations(viewer, graph)
    params = {
        "viewer_id": viewer.id,
        "student_id": graph.student_id,
        "subject_id": graph.subject_id,
    }
    if viewer.role == Role.PARENT.value and dbsession.scalar(_PARENT, params):
        found.add(PARENT)
    if viewer.role in TEACHING_ROLES:  # both look-ups in one statement
        teaches, tutor = dbsession.execute(_TEACHING, params).one()
        if teaches:
            found.add(TEACHER)
        if tutor:
            found.add(TUTOR)
    return frozenset(found)


def graph_and_relations(
    dbsession: Session, viewer: User, graph_id: int
) -> tuple[KnowledgeGraph | None, frozenset[str]]:
    """The graph ``graph_id`` and ``viewer``'s relations to it (``relations``), read in one
    statement: the viewer's relation look-ups are columns of the graph's row."""
    row = dbsession.execute(
        _graph_lookup(viewer_kind(viewer)), {"graph_id": graph_id, "viewer_id": viewer.id}
    ).one_or_none()
    if row is None:
        return None, frozenset()
    graph = row[0]
    if graph.kind != GraphKind.STUDENT.value or graph.student_id is None:
        return graph, frozenset()
    found = _own_relations(viewer, graph)
    found.update(name for name in (PARENT, TEACHER, TUTOR) if row._mapping.get(name))
    return graph, frozenset(found)


def _own_relations(viewer: User, graph: KnowledgeGraph) -> set[str]:
    """The relations that need no look-up: admin, the graph's own student."""
    found = set()
    if is_admin(viewer):
        found.add(ADMIN)
    if viewer.id == graph.student_id:
        found.add(STUDENT)
    return found


@functools.cache
def _graph_lookup(kind: str) -> Any:
    """A graph by id with the relation look-ups of a ``viewer_kind`` as columns."""
    graph = KnowledgeGraph
    checks = []
    if kind == PARENT:
        checks.append(_parent_of(graph.student_id, _VIEWER).label(PARENT))
    if kind == TEACHER:
        checks.append(_teaches(graph.student_id, graph.subject_id, _VIEWER).label(TEACHER))
        checks.append(_tutors(graph.student_id, _VIEWER).label(TUTOR))
    return select(graph, *checks).where(graph.id == bindparam("graph_id"))


def actions(found: frozenset[str]) -> frozenset[str]:
    """The actions the relations in ``found`` allow."""
    return frozenset(action for action, allowed in ALLOWED.items() if allowed & found)


def can_build_graph(dbsession: Session, viewer: User, student_id: int, subject_id: int) -> bool:
    """May ``viewer`` create a graph for ``student_id`` in ``subject_id``? Only for a
    student actively enrolled in the subject, by their teacher of it, tutor or an admin."""
    enrolled = dbsession.scalar(select(exists().where(_active_enrollment(student_id, subject_id))))
    if not enrolled:
        return False
    if is_admin(viewer):
        return True
    if viewer.role not in TEACHING_ROLES:
        return False
    return teaches_subject_to(dbsession, viewer, student_id, subject_id) or tutors(
        dbsession, viewer, student_id
    )


def visible_graphs_clause(viewer: User) -> ColumnElement[bool]:
    """Student graphs ``viewer`` may read (for lists; the same rules as ``relations``)."""
    return _visible_graphs(viewer_kind(viewer), viewer.id)


@functools.cache
def visible_graphs_template(kind: str) -> ColumnElement[bool]:
    """``visible_graphs_clause`` for a ``viewer_kind``, built once, with the viewer's id
    as the bound parameter ``viewer_id`` (for statements built once per kind)."""
    return _visible_graphs(kind, bindparam("viewer_id"))


def _visible_graphs(kind: str, viewer_id: Any) -> ColumnElement[bool]:
    graph = KnowledgeGraph
    if kind == ADMIN:
        return graph.kind == GraphKind.STUDENT.value
    clauses: list[Any] = [graph.student_id == viewer_id]
    if kind == PARENT:
        clauses.append(
            graph.student_id.in_(
                select(ParentLink.student_id).where(ParentLink.parent_id == viewer_id)
            )
        )
    if kind == TEACHER:
        clauses.append(
            exists().where(
                _active_enrollment(graph.student_id, graph.subject_id),
                Enrollment.teacher_id == viewer_id,
            )
        )
        clauses.append(
            graph.student_id.in_(
                select(StudentProfile.user_id).where(StudentProfile.tutor_id == viewer_id)
            )
        )
    return and_(graph.kind == GraphKind.STUDENT.value, or_(*clauses))


def gradable_students_clause(viewer: User, student_id: Any, subject_id: Any) -> Any:
    """Rows (of a student and a subject) whose text answers ``viewer`` may grade."""
    if is_admin(viewer):
        return true()
    if viewer.role not in TEACHING_ROLES:
        return false()
    return or_(
        exists().where(
            _active_enrollment(student_id, subject_id), Enrollment.teacher_id == viewer.id
        ),
        student_id.in_(select(StudentProfile.user_id).where(StudentProfile.tutor_id == viewer.id)),
    )
