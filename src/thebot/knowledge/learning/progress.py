"""A student's progress through one lesson: the lock, the lesson's totals, completion.

Concurrency: every write to a student's progress (their actions, a teacher's grade) first
takes the graph's row lock (``lock_graph``: ``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
runs writers one at a time). Completing a lesson reads the other elements and lessons of
the graph, so two completions at once must not each miss the other (a lesson needing both
would stay locked); under the lock the second one sees the first one's commit.

A lesson counts its **required** elements only. An element is *done* when completed, or
failed (attempts exhausted: score 0); the lesson completes when every required element is
done, with the sum of their scores (a failed element weighs on the score, so
``min_score_percent`` of a dependency decides whether it unlocks what follows). A lesson
without required elements completes as soon as the student starts one of its elements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.db import utcnow
from thebot.errors import Conflict
from thebot.events import record
from thebot.knowledge import states
from thebot.knowledge.events import LessonCompleted
from thebot.knowledge.models import (
    ElementProgress,
    ElementState,
    GraphNode,
    KnowledgeGraph,
    Lesson,
    LessonElement,
    LessonProgress,
)

DONE = (ElementState.COMPLETED.value, ElementState.FAILED.value)
OPEN = (ElementState.NOT_STARTED.value, ElementState.IN_PROGRESS.value)


def lock_graph(dbsession: Session, graph_id: int) -> KnowledgeGraph:
    """Take the graph's row lock (the serialisation point of its progress), fresh."""
    graph = dbsession.scalar(
        select(KnowledgeGraph)
        .where(KnowledgeGraph.id == graph_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert graph is not None, "the resource found it in this transaction"
    return graph


def missing_json(dbsession: Session, missing: list[states.Missing]) -> list[dict[str, Any]]:
    """The unmet prerequisites with their lessons' titles."""
    titles = dict(
        dbsession.execute(
            select(Lesson.id, Lesson.title).where(Lesson.id.in_({m.lesson_id for m in missing}))
        ).all()
        if missing
        else ()
    )
    return [
        {
            "node_id": m.node_id,
            "lesson_id": m.lesson_id,
            "title": titles.get(m.lesson_id, ""),
            "min_score_percent": m.min_score_percent,
        }
        for m in missing
    ]


class LessonLocked(Conflict):
    """A student action on a locked lesson (409 with ``missing``)."""

    def __init__(self, missing: list[dict[str, Any]]):
        super().__init__(
            "This lesson is locked: complete its prerequisites first.",
            kind="lesson-locked",
            missing=missing,
        )


def lesson_progress(dbsession: Session, graph: KnowledgeGraph, node: GraphNode) -> LessonProgress:
    """The node's progress row, fresh from the database (created if the graph lacks it)."""
    stmt = (
        select(LessonProgress)
        .where(LessonProgress.node_id == node.id)
        .execution_options(populate_existing=True)
    )
    row = dbsession.scalar(stmt)
    if row is None:  # a node added without a refresh: bring the graph up to date
        states.refresh_graph(dbsession, graph)
        row = dbsession.scalar(stmt)
    assert row is not None
    return row


def current_state(
    dbsession: Session, graph: KnowledgeGraph, node: GraphNode
) -> tuple[LessonProgress, list[states.Missing]]:
    """The lesson's progress and its unmet required prerequisites. A lesson stored locked
    whose prerequisites are all met (a change that skipped the refresh) is brought up to
    date first: the stored state never refuses what the rules allow."""
    row = lesson_progress(dbsession, graph, node)
    missing = states.missing_prerequisites(dbsession, node)
    if row.state == states.LOCKED and not missing:
        states.refresh_graph(dbsession, graph)
        row = lesson_progress(dbsession, graph, node)
    return row, missing


def ensure_open(dbsession: Session, graph: KnowledgeGraph, node: GraphNode) -> LessonProgress:
    """The lesson's progress, or ``LessonLocked`` listing the unmet prerequisites."""
    row, missing = current_state(dbsession, graph, node)
    if row.state == states.LOCKED:
        raise LessonLocked(missing_json(dbsession, missing))
    return row


def element_rows(dbsession: Session, lesson_id: int) -> list[LessonElement]:
    """The lesson's places, in order."""
    return list(
        dbsession.scalars(
            select(LessonElement)
            .where(LessonElement.lesson_id == lesson_id)
            .order_by(LessonElement.position, LessonElement.id)
        )
    )


def progress_rows(dbsession: Session, node_id: int) -> dict[int, ElementProgress]:
    """The node's element progress, by element id, fresh."""
    return {
        row.element_id: row
        for row in dbsession.scalars(
            select(ElementProgress)
            .where(ElementProgress.node_id == node_id)
            .execution_options(populate_existing=True)
        )
    }


def totals(places: list[LessonElement], progress: dict[int, ElementProgress]) -> dict[str, int]:
    """Counts and score over the required elements."""
    required = [p.element_id for p in places if p.required]
    done = [progress[e] for e in required if e in progress and progress[e].state in DONE]
    return {
        "required_total": len(required),
        "required_done": len(done),
        "score": sum(row.score for row in done),
    }


def start_lesson(row: LessonProgress) -> None:
    """The first started element opens the lesson (``unlocked -> in_progress``)."""
    if row.state == states.UNLOCKED:
        row.state = states.IN_PROGRESS
        row.started_at = utcnow()


def complete_if_done(
    dbsession: Session, graph: KnowledgeGraph, node: GraphNode, row: LessonProgress
) -> list[int]:
    """Complete the lesson when its required elements are done: score, ``LessonCompleted``,
    and the cascade (``states.refresh_graph``); returns the node ids it unlocked."""
    if row.state in (states.COMPLETED, states.LOCKED):
        return []
    places = element_rows(dbsession, node.lesson_id)
    sums = totals(places, progress_rows(dbsession, node.id))
    if sums["required_done"] < sums["required_total"]:
        return []
    max_score = states.lesson_max_scores(dbsession, [node.lesson_id])[node.lesson_id]
    now = utcnow()
    row.state = states.COMPLETED
    row.score = sums["score"]
    row.max_score = max_score
    row.started_at = row.started_at or now
    row.completed_at = now
    dbsession.flush()
    record(
        dbsession,
        LessonCompleted(
            graph_id=graph.id,
            node_id=node.id,
            lesson_id=node.lesson_id,
            student_id=row.student_id,
            score=row.score,
            max_score=max_score,
        ),
    )
    return states.refresh_graph(dbsession, graph)


def fail_exhausted(dbsession: Session, element_id: int, max_attempts: int) -> None:
    """After an element's ``max_attempts`` was lowered: a student who has already spent the
    new limit without getting it right has failed it (score 0), as on a wrong last attempt,
    and their lesson may complete. Otherwise the element would stay open with no attempt
    left: the student could neither answer it nor ever finish the lesson."""
    spent = (
        ElementProgress.element_id == element_id,
        ElementProgress.state.in_(OPEN),
        ElementProgress.attempts >= max_attempts,
    )
    graph_ids = dbsession.scalars(
        select(GraphNode.graph_id)
        .join(ElementProgress, ElementProgress.node_id == GraphNode.id)
        .where(*spent)
        .distinct()
    ).all()
    for graph_id in sorted(graph_ids):
        graph = lock_graph(dbsession, graph_id)
        found = dbsession.execute(
            select(ElementProgress, GraphNode)
            .join(GraphNode, GraphNode.id == ElementProgress.node_id)
            .where(GraphNode.graph_id == graph_id, *spent)
            .execution_options(populate_existing=True)
        ).all()
        now = utcnow()
        for row, _ in found:
            row.state = ElementState.FAILED.value
            row.score = 0
            row.completed_at = now
        dbsession.flush()
        for _, node in found:
            complete_if_done(dbsession, graph, node, lesson_progress(dbsession, graph, node))
