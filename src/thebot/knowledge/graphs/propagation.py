"""Propagation: a template's current structure applied to the student graphs made from it,
without losing any progress.

For each student graph of the template:

- a template node the graph lacks is added (a node the graph's editors placed for the same
  lesson is adopted instead);
- a node the template removed (``removed_from_template``) is removed with its dependencies,
  unless the student started or completed its lesson: then it stays, with its progress,
  and is counted in ``nodes_kept``;
- a template dependency the graph lacks is added (one its editors added between the same
  nodes is adopted); one whose type or threshold changed is updated; one that would close a
  cycle with edges the editors added is skipped and listed in ``skipped``;
- a dependency the template removed is removed;
- the graph's ``version`` becomes the template's, and its lesson states are refreshed
  (a new required dependency re-locks a lesson not started; unlocks are announced).
Nodes and dependencies the editors added themselves are left alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.errors import Conflict
from thebot.knowledge.models import Dependency, GraphKind, GraphNode, KnowledgeGraph
from thebot.knowledge.states import refresh_graph
from thebot.knowledge.structure import service as structure

COUNTERS = (
    "nodes_added",
    "nodes_removed",
    "nodes_kept",
    "dependencies_added",
    "dependencies_updated",
    "dependencies_removed",
)


def propagate(dbsession: Session, template: KnowledgeGraph) -> dict[str, Any]:
    structure.lock(dbsession, template)
    outcome: dict[str, Any] = dict.fromkeys(COUNTERS, 0)
    outcome.update(template_version=template.version, graphs=0, skipped=[])
    nodes = dbsession.scalars(
        select(GraphNode).where(GraphNode.graph_id == template.id).order_by(GraphNode.id)
    ).all()
    dependencies = dbsession.scalars(
        select(Dependency).where(Dependency.graph_id == template.id).order_by(Dependency.id)
    ).all()
    graphs = dbsession.scalars(
        select(KnowledgeGraph)
        .where(
            KnowledgeGraph.kind == GraphKind.STUDENT.value,
            KnowledgeGraph.template_id == template.id,
        )
        .order_by(KnowledgeGraph.id)
    ).all()
    for graph in graphs:
        _apply(dbsession, list(nodes), list(dependencies), graph, outcome)
        graph.version = template.version
        refresh_graph(dbsession, graph)
        outcome["graphs"] += 1
    dbsession.flush()
    return outcome


def _apply(
    dbsession: Session,
    nodes: list[GraphNode],
    dependencies: list[Dependency],
    graph: KnowledgeGraph,
    outcome: dict[str, Any],
) -> None:
    structure.lock(dbsession, graph)
    mine = dbsession.scalars(select(GraphNode).where(GraphNode.graph_id == graph.id)).all()
    for node in mine:
        if node.source_node_id == node.id:  # the template removed it
            try:
                structure.remove_node(dbsession, graph, node)
            except Conflict:
                outcome["nodes_kept"] += 1
            else:
                outcome["nodes_removed"] += 1
    copies = _node_copies(dbsession, graph, nodes, outcome)
    edges = dbsession.scalars(select(Dependency).where(Dependency.graph_id == graph.id)).all()
    by_source = {d.source_dependency_id: d for d in edges if d.source_dependency_id is not None}
    by_pair = {(d.from_node_id, d.to_node_id): d for d in edges}
    for edge in edges:
        if edge.source_dependency_id == edge.id:  # the template removed it
            dbsession.delete(edge)
            outcome["dependencies_removed"] += 1
    dbsession.flush()
    for dep in dependencies:
        pair = (copies[dep.from_node_id].id, copies[dep.to_node_id].id)
        found = by_source.get(dep.id) or by_pair.get(pair)
        if found is not None and found.source_dependency_id != found.id:
            if (found.type, found.min_score_percent, found.source_dependency_id) != (
                dep.type,
                dep.min_score_percent,
                dep.id,
            ):
                found.type, found.min_score_percent = dep.type, dep.min_score_percent
                found.source_dependency_id = dep.id
                outcome["dependencies_updated"] += 1
            continue
        values = {
            "from_node_id": pair[0],
            "to_node_id": pair[1],
            "type": dep.type,
            "min_score_percent": dep.min_score_percent,
        }
        try:
            structure.link(dbsession, graph, values, source_dependency_id=dep.id)
        except Conflict as refused:
            outcome["skipped"].append(
                {"graph_id": graph.id, "dependency_id": dep.id, **refused.extra}
            )
        else:
            outcome["dependencies_added"] += 1
    dbsession.flush()


def _node_copies(
    dbsession: Session, graph: KnowledgeGraph, nodes: list[GraphNode], outcome: dict[str, Any]
) -> dict[int, GraphNode]:
    """Template node id -> the graph's copy (added or adopted when missing)."""
    mine = dbsession.scalars(select(GraphNode).where(GraphNode.graph_id == graph.id)).all()
    by_source = {n.source_node_id: n for n in mine if n.source_node_id is not None}
    by_lesson = {n.lesson_id: n for n in mine}
    copies = {}
    for node in nodes:
        copy = by_source.get(node.id)
        if copy is None:
            copy = by_lesson.get(node.lesson_id)
            if copy is not None:
                copy.source_node_id = node.id  # the editors placed it already: adopt it
            else:
                copy = structure.place(
                    dbsession, graph, node.lesson_id, node.x, node.y, source_node_id=node.id
                )
                outcome["nodes_added"] += 1
        copies[node.id] = copy
    dbsession.flush()
    return copies
