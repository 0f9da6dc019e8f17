"""A graph's nodes and dependencies as the API shows them, in a constant number of queries
(nodes with their lessons, the lessons' totals, dependencies, and for a student graph the
lesson states)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.knowledge.lessons.service import totals
from thebot.knowledge.models import Dependency, GraphNode, Lesson, LessonProgress, LessonState


def dependency_data(dependency: Dependency) -> dict[str, Any]:
    return {
        "id": dependency.id,
        "from_node_id": dependency.from_node_id,
        "to_node_id": dependency.to_node_id,
        "type": dependency.type,
        "min_score_percent": dependency.min_score_percent,
        "removed_from_template": dependency.source_dependency_id == dependency.id,
    }


def nodes_data(
    dbsession: Session, nodes: list[tuple[GraphNode, str]], with_states: bool
) -> list[dict[str, Any]]:
    """``nodes``: ``(node, lesson title)`` pairs; states from ``LessonProgress``."""
    sums = totals(dbsession, [node.lesson_id for node, _title in nodes])
    progress: dict[int, LessonProgress] = {}
    if with_states and nodes:
        progress = {
            p.node_id: p
            for p in dbsession.scalars(
                select(LessonProgress).where(
                    LessonProgress.node_id.in_([node.id for node, _t in nodes])
                )
            ).all()
        }
    found = []
    for node, title in nodes:
        data: dict[str, Any] = {
            "id": node.id,
            "lesson_id": node.lesson_id,
            "title": title,
            "x": node.x,
            "y": node.y,
            "totals": asdict(sums[node.lesson_id]),
            "removed_from_template": node.source_node_id == node.id,
        }
        if with_states:
            row = progress.get(node.id)
            data["state"] = row.state if row is not None else LessonState.LOCKED.value
            data["score"] = row.score if row is not None else 0
            data["max_score"] = row.max_score if row is not None else 0
        found.append(data)
    return found


def structure_data(dbsession: Session, graph_id: int, with_states: bool) -> dict[str, Any]:
    nodes = [
        (node, title)
        for node, title in dbsession.execute(
            select(GraphNode, Lesson.title)
            .join(Lesson, Lesson.id == GraphNode.lesson_id)
            .where(GraphNode.graph_id == graph_id)
            .order_by(GraphNode.id)
        ).all()
    ]
    dependencies = dbsession.scalars(
        select(Dependency).where(Dependency.graph_id == graph_id).order_by(Dependency.id)
    ).all()
    return {
        "nodes": nodes_data(dbsession, nodes, with_states),
        "dependencies": [dependency_data(d) for d in dependencies],
    }


def node_data(dbsession: Session, node: GraphNode, with_states: bool) -> dict[str, Any]:
    title = dbsession.scalar(select(Lesson.title).where(Lesson.id == node.lesson_id)) or ""
    return nodes_data(dbsession, [(node, title)], with_states)[0]
