"""Nodes and dependencies of a graph: add, move, retype, remove; shared by templates and
student graphs.

- A lesson is placed once per graph, and only a lesson of the graph's subject that the
  caller reads (``access.readable_content_clause``); in a student graph its editors (the
  student's teacher, tutor, admins) may also place any lesson the subject's authors shared.
- A dependency joins two nodes of the same graph; a self-loop or an edge closing a cycle is
  a 409 naming the cycle (``cycle``: node ids ``[from, to, ..., from]``, ``lessons``: their
  titles); the same pair twice is a 409.
- A change to a template bumps its ``version``; a change to a student graph refreshes its
  lesson states (``refresh_graph``: a new required dependency re-locks a lesson not started).
- In a student graph, a node whose lesson the student started or completed is never
  removed (409): its progress stays.
- When a template loses a node or dependency, the student graphs' copies are marked as
  removed from the template (their ``source_*_id`` points at themselves) so that
  ``propagate`` can remove them later; until then they stay as they are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import Conflict, Invalid, NotFound
from thebot.knowledge import access
from thebot.knowledge.models import (
    Dependency,
    ElementProgress,
    GraphKind,
    GraphNode,
    KnowledgeGraph,
    Lesson,
    LessonProgress,
    LessonState,
)
from thebot.knowledge.states import refresh_graph
from thebot.knowledge.structure.cycles import closing_cycle

STARTED = (LessonState.IN_PROGRESS.value, LessonState.COMPLETED.value)


def lock(dbsession: Session, graph: KnowledgeGraph) -> None:
    """Take the graph's row lock, and read it afresh: structural changes of one graph (and
    the student's progress, which takes the same lock) run one at a time, so two edges
    added at once cannot close a cycle that neither saw."""
    dbsession.execute(
        select(KnowledgeGraph)
        .where(KnowledgeGraph.id == graph.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def is_template(graph: KnowledgeGraph) -> bool:
    return graph.kind == GraphKind.TEMPLATE.value


def changed(dbsession: Session, graph: KnowledgeGraph) -> None:
    """After a structural change: a template's version moves on, a student graph's states
    are brought up to date (unlocks are announced after commit)."""
    if is_template(graph):
        graph.version += 1
        dbsession.flush()
    else:
        refresh_graph(dbsession, graph)


def usable_lesson(
    dbsession: Session, viewer: User, graph: KnowledgeGraph, lesson_id: int
) -> Lesson:
    readable = access.readable_content_clause(viewer, Lesson)
    if not is_template(graph):
        readable = or_(readable, Lesson.shared.is_(True))
    lesson = dbsession.scalars(
        select(Lesson).where(Lesson.id == lesson_id, readable)
    ).one_or_none()
    if lesson is None:
        raise Invalid("lesson_id", "No such lesson")
    if lesson.subject_id != graph.subject_id:
        raise Invalid("lesson_id", "A lesson of another subject")
    return lesson


def place(
    dbsession: Session,
    graph: KnowledgeGraph,
    lesson_id: int,
    x: int,
    y: int,
    source_node_id: int | None = None,
) -> GraphNode:
    """A node for ``lesson_id`` (checked by the caller), once per graph (409)."""
    taken = dbsession.scalar(
        select(GraphNode.id).where(
            GraphNode.graph_id == graph.id, GraphNode.lesson_id == lesson_id
        )
    )
    if taken is not None:
        raise Conflict("The lesson is already in this graph.", node_id=taken)
    node = GraphNode(
        graph_id=graph.id, lesson_id=lesson_id, x=x, y=y, source_node_id=source_node_id
    )
    dbsession.add(node)
    dbsession.flush()
    return node


def add_node(
    dbsession: Session, viewer: User, graph: KnowledgeGraph, values: dict[str, Any]
) -> GraphNode:
    lock(dbsession, graph)
    lesson = usable_lesson(dbsession, viewer, graph, values["lesson_id"])
    node = place(dbsession, graph, lesson.id, values["x"], values["y"])
    changed(dbsession, graph)
    return node


def node_of(dbsession: Session, graph: KnowledgeGraph, node_id: int) -> GraphNode:
    node = dbsession.get(GraphNode, node_id)
    if node is None or node.graph_id != graph.id:
        raise NotFound("No such node in this graph.")
    return node


def move_node(dbsession: Session, node: GraphNode, values: dict[str, Any]) -> GraphNode:
    """Only the editor's coordinates change: no version bump, no state change."""
    for name in ("x", "y"):
        if name in values:
            setattr(node, name, values[name])
    dbsession.flush()
    return node


def remove_node(dbsession: Session, graph: KnowledgeGraph, node: GraphNode) -> None:
    lock(dbsession, graph)
    if not is_template(graph):
        state = dbsession.scalar(
            select(LessonProgress.state).where(LessonProgress.node_id == node.id)
        )
        if state in STARTED:
            raise Conflict("The student has started this lesson; its progress stays.", state=state)
    else:
        _detach_copies_of_node(dbsession, node.id)
    dbsession.execute(
        delete(Dependency).where(
            or_(Dependency.from_node_id == node.id, Dependency.to_node_id == node.id)
        )
    )
    dbsession.execute(delete(ElementProgress).where(ElementProgress.node_id == node.id))
    dbsession.execute(delete(LessonProgress).where(LessonProgress.node_id == node.id))
    dbsession.delete(node)
    dbsession.flush()
    changed(dbsession, graph)


def _detach_copies_of_node(dbsession: Session, node_id: int) -> None:
    """Mark student copies of a template node (and of its edges) as removed upstream."""
    dependency_ids = select(Dependency.id).where(
        or_(Dependency.from_node_id == node_id, Dependency.to_node_id == node_id)
    )
    dbsession.execute(
        update(Dependency)
        .where(Dependency.source_dependency_id.in_(dependency_ids))
        .values(source_dependency_id=Dependency.id)
        .execution_options(synchronize_session=False)
    )
    dbsession.execute(
        update(GraphNode)
        .where(GraphNode.source_node_id == node_id)
        .values(source_node_id=GraphNode.id)
        .execution_options(synchronize_session=False)
    )
    dbsession.expire_all()


def edges_of(dbsession: Session, graph_id: int) -> list[tuple[int, int]]:
    return [
        (a, b)
        for a, b in dbsession.execute(
            select(Dependency.from_node_id, Dependency.to_node_id).where(
                Dependency.graph_id == graph_id
            )
        ).all()
    ]


def _refuse_cycle(dbsession: Session, cycle: list[int]) -> None:
    titles = dict(
        dbsession.execute(
            select(GraphNode.id, Lesson.title)
            .join(Lesson, Lesson.id == GraphNode.lesson_id)
            .where(GraphNode.id.in_(set(cycle)))
        ).all()
    )
    path = " -> ".join(titles.get(n, str(n)) for n in cycle)
    what = "A lesson cannot depend on itself" if len(cycle) == 2 else "This closes a cycle"
    raise Conflict(
        f"{what}: {path}.",
        kind="dependency-cycle",
        cycle=cycle,
        lessons=[titles.get(n, "") for n in cycle],
    )


def link(
    dbsession: Session,
    graph: KnowledgeGraph,
    values: dict[str, Any],
    source_dependency_id: int | None = None,
) -> Dependency:
    """A dependency between two nodes of ``graph`` (refused on a cycle or a repeat)."""
    lock(dbsession, graph)
    source, target = values["from_node_id"], values["to_node_id"]
    found = set(
        dbsession.scalars(
            select(GraphNode.id).where(
                GraphNode.graph_id == graph.id, GraphNode.id.in_({source, target})
            )
        ).all()
    )
    errors = [name for name in ("from_node_id", "to_node_id") if values[name] not in found]
    if errors:
        raise Invalid(errors[0], "No such node in this graph")
    edges = edges_of(dbsession, graph.id)
    if (source, target) in edges:
        raise Conflict("This dependency exists already.")
    cycle = closing_cycle(edges, (source, target))
    if cycle is not None:
        _refuse_cycle(dbsession, cycle)
    dependency = Dependency(
        graph_id=graph.id,
        from_node_id=source,
        to_node_id=target,
        type=values["type"],
        min_score_percent=values["min_score_percent"],
        source_dependency_id=source_dependency_id,
    )
    dbsession.add(dependency)
    dbsession.flush()
    return dependency


def add_dependency(
    dbsession: Session, graph: KnowledgeGraph, values: dict[str, Any]
) -> Dependency:
    dependency = link(dbsession, graph, values)
    changed(dbsession, graph)
    return dependency


def dependency_of(dbsession: Session, graph: KnowledgeGraph, dependency_id: int) -> Dependency:
    dependency = dbsession.get(Dependency, dependency_id)
    if dependency is None or dependency.graph_id != graph.id:
        raise NotFound("No such dependency in this graph.")
    return dependency


def retype_dependency(
    dbsession: Session, graph: KnowledgeGraph, dependency: Dependency, values: dict[str, Any]
) -> Dependency:
    lock(dbsession, graph)
    for name in ("type", "min_score_percent"):
        if name in values:
            setattr(dependency, name, values[name])
    dbsession.flush()
    changed(dbsession, graph)
    return dependency


def remove_dependency(dbsession: Session, graph: KnowledgeGraph, dependency: Dependency) -> None:
    lock(dbsession, graph)
    if is_template(graph):
        dbsession.execute(
            update(Dependency)
            .where(Dependency.source_dependency_id == dependency.id)
            .values(source_dependency_id=Dependency.id)
            .execution_options(synchronize_session=False)
        )
    dbsession.delete(dependency)
    dbsession.flush()
    changed(dbsession, graph)
