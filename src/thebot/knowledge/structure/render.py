"""A graph's nodes and dependencies as the API shows them, in two queries whatever the
graph's size: nodes with their lessons (and the lessons' stored totals,
``thebot.knowledge.totals``) and, for a student graph, lesson states; then dependencies.

A 200-lesson graph is about 600 rows per read, so the reads are built for that: the
statements are built once (bound parameters, not per-request construction), run on the
session's connection (plain tuples: no ORM objects, no ORM result processing), fetched whole
(``fetchall``: iterating a result fetches row by row), and each row becomes its dict in one
pass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from thebot.knowledge.models import Dependency, GraphNode, Lesson, LessonProgress, LessonState

LOCKED = LessonState.LOCKED.value
COMPLETED = LessonState.COMPLETED.value
NODE_COLUMNS = (
    GraphNode.id,
    GraphNode.lesson_id,
    Lesson.title,
    GraphNode.x,
    GraphNode.y,
    GraphNode.source_node_id,
    Lesson.element_count,
    Lesson.required_count,
    Lesson.estimated_minutes,
    Lesson.max_score,
)
STATE_COLUMNS = (LessonProgress.state, LessonProgress.score, LessonProgress.max_score)
DEPENDENCY_COLUMNS = (
    Dependency.id,
    Dependency.from_node_id,
    Dependency.to_node_id,
    Dependency.type,
    Dependency.min_score_percent,
    Dependency.source_dependency_id,
)


def _node_rows(with_states: bool) -> Any:
    stmt = select(*NODE_COLUMNS).join(Lesson, Lesson.id == GraphNode.lesson_id)
    if with_states:
        stmt = stmt.add_columns(*STATE_COLUMNS).outerjoin(
            LessonProgress, LessonProgress.node_id == GraphNode.id
        )
    return stmt


GRAPH_NODES = {
    states: _node_rows(states)
    .where(GraphNode.graph_id == bindparam("graph_id"))
    .order_by(GraphNode.id)
    for states in (False, True)
}
ONE_NODE = {
    states: _node_rows(states).where(GraphNode.id == bindparam("node_id"))
    for states in (False, True)
}
GRAPH_DEPENDENCIES = (
    select(*DEPENDENCY_COLUMNS)
    .where(Dependency.graph_id == bindparam("graph_id"))
    .order_by(Dependency.id)
)


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


def _nodes(rows: Sequence[Any], with_states: bool) -> list[dict[str, Any]]:
    """``rows``: ``NODE_COLUMNS`` (plus ``STATE_COLUMNS`` for a student graph)."""
    found = []
    for row in rows:
        node_id, lesson_id, title, x, y, origin, count, required, minutes, best = row[:10]
        data: dict[str, Any] = {
            "id": node_id,
            "lesson_id": lesson_id,
            "title": title,
            "x": x,
            "y": y,
            "totals": {
                "element_count": count,
                "required_count": required,
                "estimated_minutes": minutes,
                "max_score": best,
            },
            "removed_from_template": origin == node_id,
        }
        if with_states:
            state, score, max_score = row[10:]
            data["state"] = state or LOCKED
            data["score"] = score or 0
            data["max_score"] = max_score or 0
        found.append(data)
    return found


def structure_data(dbsession: Session, graph_id: int, with_states: bool) -> dict[str, Any]:
    dbsession.flush()  # the connection does not autoflush
    conn = dbsession.connection()
    params = {"graph_id": graph_id}
    return {
        "nodes": _nodes(conn.execute(GRAPH_NODES[with_states], params).all(), with_states),
        "dependencies": [
            dependency_row(row) for row in conn.execute(GRAPH_DEPENDENCIES, params).all()
        ],
    }


def node_data(dbsession: Session, node: GraphNode, with_states: bool) -> dict[str, Any]:
    dbsession.flush()
    rows = dbsession.connection().execute(ONE_NODE[with_states], {"node_id": node.id}).all()
    return _nodes(rows, with_states)[0]
