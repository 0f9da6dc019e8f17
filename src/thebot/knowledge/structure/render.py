"""A graph's nodes and dependencies as the API shows them, in a constant number of queries
(nodes with their lessons and, for a student graph, lesson states; the lessons' totals;
dependencies). Rows are read as plain tuples, not ORM objects: a 200-lesson graph is
hundreds of rows per read, and object loading would be most of the request's time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.knowledge.lessons.service import Totals, totals
from thebot.knowledge.models import Dependency, GraphNode, Lesson, LessonProgress, LessonState

LOCKED = LessonState.LOCKED.value
NODE_COLUMNS = (
    GraphNode.id,
    GraphNode.lesson_id,
    Lesson.title,
    GraphNode.x,
    GraphNode.y,
    GraphNode.source_node_id,
)
DEPENDENCY_COLUMNS = (
    Dependency.id,
    Dependency.from_node_id,
    Dependency.to_node_id,
    Dependency.type,
    Dependency.min_score_percent,
    Dependency.source_dependency_id,
)


def totals_data(found: Totals) -> dict[str, int]:
    return {
        "element_count": found.element_count,
        "required_count": found.required_count,
        "estimated_minutes": found.estimated_minutes,
        "max_score": found.max_score,
    }


def dependency_row(row: Any) -> dict[str, Any]:
    dependency_id, source, target, type_, percent, origin = row
    return {
        "id": dependency_id,
        "from_node_id": source,
        "to_node_id": target,
        "type": type_,
        "min_score_percent": percent,
        "removed_from_template": origin == dependency_id,
    }


def dependency_data(dependency: Dependency) -> dict[str, Any]:
    return dependency_row(tuple(getattr(dependency, c.key) for c in DEPENDENCY_COLUMNS))


def _nodes(
    dbsession: Session, rows: list[Any], with_states: bool, graph_id: int | None = None
) -> list[dict[str, Any]]:
    """``rows``: ``NODE_COLUMNS`` (plus state, score, max score for a student graph), all
    of ``graph_id`` when given."""
    lesson_ids = [row[1] for row in rows]
    sums = {
        lesson_id: totals_data(found)
        for lesson_id, found in totals(dbsession, lesson_ids, graph_id).items()
    }
    found = []
    for row in rows:
        node_id, lesson_id, title, x, y, origin = row[:6]
        data: dict[str, Any] = {
            "id": node_id,
            "lesson_id": lesson_id,
            "title": title,
            "x": x,
            "y": y,
            "totals": sums[lesson_id],
            "removed_from_template": origin == node_id,
        }
        if with_states:
            state, score, max_score = row[6:]
            data["state"] = state or LOCKED
            data["score"] = score or 0
            data["max_score"] = max_score or 0
        found.append(data)
    return found


def _node_rows(with_states: bool) -> Any:
    stmt = select(*NODE_COLUMNS).join(Lesson, Lesson.id == GraphNode.lesson_id)
    if with_states:
        stmt = stmt.add_columns(
            LessonProgress.state, LessonProgress.score, LessonProgress.max_score
        ).outerjoin(LessonProgress, LessonProgress.node_id == GraphNode.id)
    return stmt


def structure_data(dbsession: Session, graph_id: int, with_states: bool) -> dict[str, Any]:
    rows = dbsession.execute(
        _node_rows(with_states).where(GraphNode.graph_id == graph_id).order_by(GraphNode.id)
    ).all()
    dependencies = dbsession.execute(
        select(*DEPENDENCY_COLUMNS).where(Dependency.graph_id == graph_id).order_by(Dependency.id)
    ).all()
    return {
        "nodes": _nodes(dbsession, list(rows), with_states, graph_id),
        "dependencies": [dependency_row(row) for row in dependencies],
    }


def node_data(dbsession: Session, node: GraphNode, with_states: bool) -> dict[str, Any]:
    rows = dbsession.execute(_node_rows(with_states).where(GraphNode.id == node.id)).all()
    return _nodes(dbsession, list(rows), with_states)[0]
