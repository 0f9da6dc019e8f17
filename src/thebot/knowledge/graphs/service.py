"""Student graphs: create (from a template or empty), list, read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from thebot.accounts.models import Role, User
from thebot.errors import Conflict, Forbidden, Invalid
from thebot.knowledge import access
from thebot.knowledge.models import (
    Dependency,
    GraphKind,
    GraphNode,
    KnowledgeGraph,
    LessonProgress,
    LessonState,
)
from thebot.knowledge.states import refresh_graph
from thebot.knowledge.structure.render import structure_data
from thebot.schemas import iso

LIST_ORDER = [(KnowledgeGraph.id, "asc")]
STUDENT = GraphKind.STUDENT.value
COMPLETED = LessonState.COMPLETED.value


def _template(dbsession: Session, template_id: int) -> KnowledgeGraph:
    template = dbsession.get(KnowledgeGraph, template_id)
    if template is None or template.kind != GraphKind.TEMPLATE.value:
        raise Invalid("template_id", "No such template")
    return template


def copy_structure(dbsession: Session, template: KnowledgeGraph, graph: KnowledgeGraph) -> None:
    """The template's nodes and dependencies into the (new) student graph, remembering
    where each came from."""
    nodes = dbsession.scalars(
        select(GraphNode).where(GraphNode.graph_id == template.id).order_by(GraphNode.id)
    ).all()
    copies = {
        node.id: GraphNode(
            graph_id=graph.id, lesson_id=node.lesson_id, x=node.x, y=node.y, source_node_id=node.id
        )
        for node in nodes
    }
    dbsession.add_all(copies.values())
    dbsession.flush()
    dbsession.add_all(
        Dependency(
            graph_id=graph.id,
            from_node_id=copies[dep.from_node_id].id,
            to_node_id=copies[dep.to_node_id].id,
            type=dep.type,
            min_score_percent=dep.min_score_percent,
            source_dependency_id=dep.id,
        )
        for dep in dbsession.scalars(
            select(Dependency).where(Dependency.graph_id == template.id).order_by(Dependency.id)
        ).all()
    )
    dbsession.flush()


def create(dbsession: Session, viewer: User, values: dict[str, Any]) -> KnowledgeGraph:
    """A graph for ``student_id`` from ``template_id`` (its subject), or an empty one in
    ``subject_id``. 403 unless ``viewer`` teaches the student the subject (an active
    enrollment), tutors them, or is an admin, and the student is enrolled in it; 409 when
    the student has a graph from this template already."""
    has_template = values.get("template_id") is not None
    if has_template == (values.get("subject_id") is not None):
        raise Invalid("template_id", "Give template_id, or subject_id for an empty graph")
    refused = Forbidden(
        "Only the student's teacher of the subject, their tutor or an admin builds a "
        "graph, for a student enrolled in the subject."
    )
    student = dbsession.get(User, values["student_id"])
    if student is None or student.role != Role.STUDENT.value:
        if not access.is_admin(viewer):  # an unknown id looks like someone else's student
            raise refused
        raise Invalid("student_id", "No such student")
    template = _template(dbsession, values["template_id"]) if has_template else None
    subject_id = template.subject_id if template is not None else values["subject_id"]
    if not access.can_build_graph(dbsession, viewer, student.id, subject_id):
        raise refused
    if template is not None:
        existing = dbsession.scalar(
            select(KnowledgeGraph.id).where(
                KnowledgeGraph.kind == STUDENT,
                KnowledgeGraph.student_id == student.id,
                KnowledgeGraph.template_id == template.id,
            )
        )
        if existing is not None:
            raise Conflict("The student has a graph from this template.", graph_id=existing)
    graph = KnowledgeGraph(
        kind=STUDENT,
        title=values.get("title") or (template.title if template is not None else ""),
        description=template.description if template is not None else "",
        subject_id=subject_id,
        author_id=viewer.id,
        student_id=student.id,
        template_id=template.id if template is not None else None,
        version=template.version if template is not None else 1,
    )
    dbsession.add(graph)
    dbsession.flush()
    if template is not None:
        copy_structure(dbsession, template, graph)
    refresh_graph(dbsession, graph, announce=False)
    return graph


def graphs_query(viewer: User, filters: dict[str, Any]) -> Select[Any]:
    stmt = select(KnowledgeGraph).where(access.visible_graphs_clause(viewer))
    if "student" in filters:
        stmt = stmt.where(KnowledgeGraph.student_id == filters["student"])
    if "subject" in filters:
        stmt = stmt.where(KnowledgeGraph.subject_id == filters["subject"])
    if "template" in filters:
        stmt = stmt.where(KnowledgeGraph.template_id == filters["template"])
    return stmt


def progress_counts(dbsession: Session, graph_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``graph_id -> (lessons, completed lessons)`` in one query."""
    if not graph_ids:
        return {}
    done = LessonProgress.state == LessonState.COMPLETED.value
    rows = dbsession.execute(
        select(LessonProgress.graph_id, func.count(), func.sum(case((done, 1), else_=0)))
        .where(LessonProgress.graph_id.in_(graph_ids))
        .group_by(LessonProgress.graph_id)
    ).all()
    found = {graph_id: (int(total), int(completed or 0)) for graph_id, total, completed in rows}
    return {graph_id: found.get(graph_id, (0, 0)) for graph_id in graph_ids}


def summary(graph: KnowledgeGraph, counts: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": graph.id,
        "title": graph.title,
        "student_id": graph.student_id,
        "subject_id": graph.subject_id,
        "template_id": graph.template_id,
        "version": graph.version,
        "author_id": graph.author_id,
        "lesson_count": counts[0],
        "completed_count": counts[1],
        "created_at": iso(graph.created_at),
        "updated_at": iso(graph.updated_at),
    }


def summaries(dbsession: Session, graphs: list[KnowledgeGraph]) -> list[dict[str, Any]]:
    counts = progress_counts(dbsession, [g.id for g in graphs])
    return [summary(g, counts[g.id]) for g in graphs]


def graph_data(dbsession: Session, graph: KnowledgeGraph) -> dict[str, Any]:
    structure = structure_data(dbsession, graph.id, with_states=True)
    completed = [n["state"] for n in structure["nodes"]].count(COMPLETED)
    return {**summary(graph, (len(structure["nodes"]), completed)), **structure}
