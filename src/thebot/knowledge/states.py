"""Lesson states of a student graph, recomputed in the transaction that changes them.

A lesson is *unlocked* when every ``required`` prerequisite is completed with at least its
``min_score_percent`` of the prerequisite's maximum score; lessons without required
prerequisites are unlocked from the start. ``recommended`` and ``optional`` edges never
block, nor does a required lesson without any element (nothing there can be completed).
Stored states move so:

- ``locked -> unlocked`` when the prerequisites are met (``LessonUnlocked`` is recorded, and
  dispatched after commit);
- ``unlocked -> locked`` when they stop being met (a required dependency was added or a
  prerequisite removed its completion) and the student has not started the lesson;
- ``in_progress`` and ``completed`` never go back: a lesson the student started stays open
  even if a required dependency is added later (its unmet prerequisites are still listed,
  as advice, in the lesson view), and completed work is never taken away.

Only completion (stored) decides unlocking, so one pass over the nodes is exact: an unlock
never completes anything, and completing a lesson is what ``refresh_graph`` is called after.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.db import utcnow
from thebot.events import record
from thebot.knowledge.events import LessonUnlocked
from thebot.knowledge.models import (
    Dependency,
    DependencyType,
    GraphKind,
    GraphNode,
    KnowledgeGraph,
    Lesson,
    LessonProgress,
    LessonState,
)

LOCKED = LessonState.LOCKED.value
UNLOCKED = LessonState.UNLOCKED.value
IN_PROGRESS = LessonState.IN_PROGRESS.value
COMPLETED = LessonState.COMPLETED.value


@dataclass(frozen=True)
class Missing:
    """A required prerequisite not (yet) met."""

    node_id: int
    lesson_id: int
    min_score_percent: int


def meets(progress: LessonProgress | None, min_score_percent: int) -> bool:
    """Is a prerequisite lesson completed with at least ``min_score_percent``?"""
    if progress is None or progress.state != COMPLETED:
        return False
    if progress.max_score <= 0:
        return True
    return progress.score * 100 >= min_score_percent * progress.max_score


def lesson_max_scores(dbsession: Session, lesson_ids: list[int]) -> dict[int, int]:
    """Each lesson's maximum score: the sum over its required elements (stored,
    ``thebot.knowledge.totals``)."""
    if not lesson_ids:
        return {}
    rows = dbsession.execute(select(Lesson.id, Lesson.max_score).where(Lesson.id.in_(lesson_ids)))
    found = {lesson_id: best for lesson_id, best in rows}
    return {lesson_id: found.get(lesson_id, 0) for lesson_id in lesson_ids}


def empty_lessons(dbsession: Session, lesson_ids: list[int] | set[int]) -> set[int]:
    """Lessons without any element: nothing to complete, so they never block a lesson
    that requires them (their dependents would otherwise stay locked for good)."""
    if not lesson_ids:
        return set()
    return set(
        dbsession.scalars(
            select(Lesson.id).where(Lesson.id.in_(lesson_ids), Lesson.element_count == 0)
        )
    )


def missing_prerequisites(dbsession: Session, node: GraphNode) -> list[Missing]:
    """The required prerequisites of ``node`` that its student has not met yet."""
    deps = dbsession.scalars(
        select(Dependency).where(
            Dependency.to_node_id == node.id, Dependency.type == DependencyType.REQUIRED.value
        )
    ).all()
    if not deps:
        return []
    sources = {d.from_node_id for d in deps}
    progress = {
        p.node_id: p
        for p in dbsession.scalars(
            select(LessonProgress).where(LessonProgress.node_id.in_(sources))
        ).all()
    }
    lessons = dict(
        dbsession.execute(
            select(GraphNode.id, GraphNode.lesson_id).where(GraphNode.id.in_(sources))
        ).all()
    )
    empty = empty_lessons(dbsession, set(lessons.values()))
    return [
        Missing(d.from_node_id, lessons[d.from_node_id], d.min_score_percent)
        for d in sorted(deps, key=lambda d: d.from_node_id)
        if lessons[d.from_node_id] not in empty
        and not meets(progress.get(d.from_node_id), d.min_score_percent)
    ]


def refresh_graph(dbsession: Session, graph: KnowledgeGraph, announce: bool = True) -> list[int]:
    """Bring every lesson state of a student graph up to date (creating missing progress
    rows and refreshing each lesson's maximum score); returns the newly unlocked node ids
    and records ``LessonUnlocked`` for each (unless ``announce`` is false: a new graph's
    first lessons are open from the start, not news)."""
    assert graph.student_id is not None, "only student graphs have states"
    nodes = dbsession.scalars(select(GraphNode).where(GraphNode.graph_id == graph.id)).all()
    progress = {
        p.node_id: p
        for p in dbsession.scalars(
            select(LessonProgress).where(LessonProgress.graph_id == graph.id)
        ).all()
    }
    required: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for dep in dbsession.scalars(
        select(Dependency).where(
            Dependency.graph_id == graph.id, Dependency.type == DependencyType.REQUIRED.value
        )
    ).all():
        required[dep.to_node_id].append((dep.from_node_id, dep.min_score_percent))
    max_scores = lesson_max_scores(dbsession, sorted({n.lesson_id for n in nodes}))
    for node in nodes:
        row = progress.get(node.id)
        if row is None:
            row = LessonProgress(
                node_id=node.id, graph_id=graph.id, student_id=graph.student_id, state=LOCKED
            )
            dbsession.add(row)
            progress[node.id] = row
        if row.state != COMPLETED:
            row.max_score = max_scores.get(node.lesson_id, 0)
    empty = empty_lessons(dbsession, {n.lesson_id for n in nodes})
    passable = {n.id for n in nodes if n.lesson_id in empty}
    unlocked: list[int] = []
    now = utcnow()
    for node in nodes:
        row = progress[node.id]
        open_ = all(
            src in passable or meets(progress.get(src), pct)
            for src, pct in required.get(node.id, ())
        )
        if row.state == LOCKED and open_:
            row.state = UNLOCKED
            row.unlocked_at = now
            unlocked.append(node.id)
        elif row.state == UNLOCKED and not open_:
            row.state = LOCKED
            row.unlocked_at = None
    if unlocked and announce:
        lesson_ids = {n.id: n.lesson_id for n in nodes}
        titles = dict(
            dbsession.execute(
                select(Lesson.id, Lesson.title).where(
                    Lesson.id.in_({lesson_ids[i] for i in unlocked})
                )
            ).all()
        )
        for node_id in unlocked:
            record(
                dbsession,
                LessonUnlocked(
                    graph_id=graph.id,
                    node_id=node_id,
                    lesson_id=lesson_ids[node_id],
                    student_id=graph.student_id,
                    title=titles.get(lesson_ids[node_id], ""),
                ),
            )
    dbsession.flush()
    return unlocked


def refresh_graphs_with_lessons(dbsession: Session, lesson_ids: list[int]) -> None:
    """Student graphs placing any of ``lesson_ids`` get up-to-date states (a lesson's
    maximum score, so what its prerequisites' thresholds mean, may have moved). Each
    graph's row lock is taken first, in id order, as the students' own actions take it
    (``learning.progress.lock_graph``): a refresh never holds progress rows a student's
    transaction needs while waiting for that student's graph."""
    if not lesson_ids:
        return
    graphs = dbsession.scalars(
        select(KnowledgeGraph)
        .where(
            KnowledgeGraph.kind == GraphKind.STUDENT.value,
            KnowledgeGraph.id.in_(
                select(GraphNode.graph_id).where(GraphNode.lesson_id.in_(lesson_ids))
            ),
        )
        .order_by(KnowledgeGraph.id)
        .with_for_update(of=KnowledgeGraph)
        .execution_options(populate_existing=True)
    ).all()
    for graph in graphs:
        refresh_graph(dbsession, graph)
