"""Templates: create, list, read, rename (their structure: ``thebot.knowledge.structure``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.knowledge import access
from thebot.knowledge.elements.service import check_author
from thebot.knowledge.models import GraphKind, GraphNode, KnowledgeGraph
from thebot.knowledge.structure.render import structure_data
from thebot.schemas import iso

LIST_ORDER = [(KnowledgeGraph.id, "asc")]
TEMPLATE = GraphKind.TEMPLATE.value


def create(dbsession: Session, viewer: User, values: dict[str, Any]) -> KnowledgeGraph:
    check_author(dbsession, viewer, values["subject_id"])
    template = KnowledgeGraph(
        kind=TEMPLATE,
        title=values["title"],
        description=values["description"],
        subject_id=values["subject_id"],
        author_id=viewer.id,
        version=1,
    )
    dbsession.add(template)
    dbsession.flush()
    return template


def update(dbsession: Session, template: KnowledgeGraph, changes: dict[str, Any]) -> None:
    """Title and description only (not structural: the version stays)."""
    for name, value in changes.items():
        setattr(template, name, value)
    dbsession.flush()


def templates_query(viewer: User, filters: dict[str, Any]) -> Select[Any]:
    stmt = select(KnowledgeGraph).where(
        KnowledgeGraph.kind == TEMPLATE, access.readable_content_clause(viewer, KnowledgeGraph)
    )
    if "subject" in filters:
        stmt = stmt.where(KnowledgeGraph.subject_id == filters["subject"])
    return stmt


def node_counts(dbsession: Session, graph_ids: list[int]) -> dict[int, int]:
    if not graph_ids:
        return {}
    rows = dbsession.execute(
        select(GraphNode.graph_id, func.count())
        .where(GraphNode.graph_id.in_(graph_ids))
        .group_by(GraphNode.graph_id)
    ).all()
    found = {graph_id: int(count) for graph_id, count in rows}
    return {graph_id: found.get(graph_id, 0) for graph_id in graph_ids}


def summary(template: KnowledgeGraph, node_count: int) -> dict[str, Any]:
    return {
        "id": template.id,
        "title": template.title,
        "description": template.description,
        "subject_id": template.subject_id,
        "author_id": template.author_id,
        "version": template.version,
        "node_count": node_count,
        "created_at": iso(template.created_at),
        "updated_at": iso(template.updated_at),
    }


def summaries(dbsession: Session, templates: list[KnowledgeGraph]) -> list[dict[str, Any]]:
    counts = node_counts(dbsession, [t.id for t in templates])
    return [summary(t, counts[t.id]) for t in templates]


def template_data(dbsession: Session, template: KnowledgeGraph) -> dict[str, Any]:
    structure = structure_data(dbsession, template.id, with_states=False)
    return {**summary(template, len(structure["nodes"])), **structure}
