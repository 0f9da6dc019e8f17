"""A lesson as its student (and those who follow them) sees it, and the next lesson.

What an element shows is ``content.public_content``: the answers of a quick question and
its explanation only once the element is completed or failed; the same for every viewer
(parents and teachers too: teachers read the answers where they author them).

``next_lesson`` recommends, among the lessons the student may work on:

1. a lesson already in progress (finish what you started), before an unlocked one;
2. then one whose ``recommended`` prerequisites are all completed, before one with a
   recommended prerequisite still open;
3. then by place in the editor: top to bottom (``y``), left to right (``x``), node id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.knowledge import states
from thebot.knowledge.learning import content, progress
from thebot.knowledge.models import (
    Answer,
    Dependency,
    DependencyType,
    Element,
    ElementProgress,
    ElementType,
    GraphNode,
    KnowledgeGraph,
    Lesson,
    LessonElement,
    LessonProgress,
)
from thebot.schemas import iso


def last_answers(dbsession: Session, progress_ids: list[int]) -> dict[int, Answer]:
    """Each progress row's latest answer, by element id."""
    if not progress_ids:
        return {}
    found: dict[int, Answer] = {}
    for item in dbsession.scalars(
        select(Answer).where(Answer.progress_id.in_(progress_ids)).order_by(Answer.attempt)
    ):
        found[item.element_id] = item
    return found


def answer_json(item: Answer | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "id": item.id,
        "attempt": item.attempt,
        "answer": item.answer,
        "status": item.status,
        "correct": item.correct,
        "score": item.score,
        "feedback": item.feedback,
        "created_at": iso(item.created_at),
        "graded_at": iso(item.graded_at),
    }


def element_entry(
    place: LessonElement, element: Element, row: ElementProgress | None, last: Answer | None
) -> dict[str, Any]:
    revealed = row is not None and row.state in content.REVEALED_STATES
    attempts = row.attempts if row is not None else 0
    theory = element.type == ElementType.THEORY.value
    video = element.type == ElementType.VIDEO.value
    return {
        "element_id": element.id,
        "position": place.position,
        "required": place.required,
        "type": element.type,
        "title": element.title,
        "difficulty": element.difficulty,
        "estimated_minutes": element.estimated_minutes,
        "max_score": element.max_score,
        "max_attempts": element.max_attempts,
        "min_read_seconds": content.min_read_seconds(element) if theory else None,
        "watch_seconds_needed": content.watch_seconds_needed(element) if video else None,
        "content": content.public_content(element, revealed),
        "progress": {
            "state": row.state if row is not None else "not_started",
            "score": row.score if row is not None else 0,
            "attempts": attempts,
            "attempts_left": max(element.max_attempts - attempts, 0),
            "watched_seconds": row.watched_seconds if row is not None else 0,
            "started_at": iso(row.started_at) if row is not None else None,
            "completed_at": iso(row.completed_at) if row is not None else None,
            "last_answer": answer_json(last),
        },
    }


def places_of(dbsession: Session, lesson_id: int) -> list[tuple[LessonElement, Element]]:
    rows = dbsession.execute(
        select(LessonElement, Element)
        .join(Element, Element.id == LessonElement.element_id)
        .where(LessonElement.lesson_id == lesson_id)
        .order_by(LessonElement.position, LessonElement.id)
    ).all()
    return [(place, element) for place, element in rows]


def summarise(
    node: GraphNode,
    row: LessonProgress,
    pairs: list[tuple[LessonElement, Element]],
    rows: dict[int, ElementProgress],
) -> dict[str, Any]:
    sums = progress.totals([place for place, _ in pairs], rows)
    if row.state == states.COMPLETED:  # as it was when completed
        score, max_score = row.score, row.max_score
    else:
        score = sums["score"]
        max_score = sum(element.max_score for place, element in pairs if place.required)
    return {
        "graph_id": node.graph_id,
        "node_id": node.id,
        "lesson_id": node.lesson_id,
        "state": row.state,
        "score": score,
        "max_score": max_score,
        "required_total": sums["required_total"],
        "required_done": sums["required_done"],
        "unlocked_at": iso(row.unlocked_at),
        "started_at": iso(row.started_at),
        "completed_at": iso(row.completed_at),
    }


def lesson_summary(dbsession: Session, node: GraphNode, row: LessonProgress) -> dict[str, Any]:
    pairs = places_of(dbsession, node.lesson_id)
    return summarise(node, row, pairs, progress.progress_rows(dbsession, node.id))


def lesson_view(
    dbsession: Session, graph: KnowledgeGraph, node: GraphNode, learner: bool
) -> dict[str, Any]:
    """The lesson with its elements and the student's progress. A locked lesson is a
    ``LessonLocked`` for the student; others see it, locked. ``missing`` lists the unmet
    required prerequisites (for a lesson in progress after a new dependency: advice)."""
    row, unmet = progress.current_state(dbsession, graph, node)
    missing = progress.missing_json(dbsession, unmet)
    if learner and row.state == states.LOCKED:
        raise progress.LessonLocked(missing)
    lesson = dbsession.get(Lesson, node.lesson_id)
    assert lesson is not None
    pairs = places_of(dbsession, node.lesson_id)
    rows = progress.progress_rows(dbsession, node.id)
    answers = last_answers(dbsession, [r.id for r in rows.values()])
    elements = [
        element_entry(place, element, rows.get(element.id), answers.get(element.id))
        for place, element in pairs
    ]
    return {
        **summarise(node, row, pairs, rows),
        "title": lesson.title,
        "description": lesson.description,
        "missing": missing,
        "elements": elements,
    }


def next_lesson(dbsession: Session, graph: KnowledgeGraph) -> dict[str, Any]:
    """``{"next": ...}``: the recommended lesson (see the module docstring), or ``null``."""
    candidates = dbsession.execute(
        select(GraphNode, LessonProgress.state, Lesson.title)
        .join(LessonProgress, LessonProgress.node_id == GraphNode.id)
        .join(Lesson, Lesson.id == GraphNode.lesson_id)
        .where(GraphNode.graph_id == graph.id)
    ).all()
    state_of = {node.id: state for node, state, _ in candidates}
    before: dict[int, list[int]] = {}
    for source, target in dbsession.execute(
        select(Dependency.from_node_id, Dependency.to_node_id).where(
            Dependency.graph_id == graph.id,
            Dependency.type == DependencyType.RECOMMENDED.value,
        )
    ):
        before.setdefault(target, []).append(source)

    def waiting(node: GraphNode) -> list[int]:
        return sorted(s for s in before.get(node.id, ()) if state_of.get(s) != states.COMPLETED)

    open_ = [
        (node, state, title)
        for node, state, title in candidates
        if state in (states.IN_PROGRESS, states.UNLOCKED)
    ]
    if not open_:
        return {"next": None}
    node, state, title = min(
        open_,
        key=lambda c: (c[1] != states.IN_PROGRESS, bool(waiting(c[0])), c[0].y, c[0].x, c[0].id),
    )
    reason = "continue" if state == states.IN_PROGRESS else "ready"
    if state == states.UNLOCKED and waiting(node):
        reason = "recommended_prerequisites_open"
    return {
        "next": {
            "node_id": node.id,
            "lesson_id": node.lesson_id,
            "title": title,
            "state": state,
            "reason": reason,
            "recommended_first": waiting(node),
        }
    }
