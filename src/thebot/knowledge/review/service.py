"""The review queue (pending text answers the caller may grade) and grading.

A grade completes the element with the given score, whatever it is (0 included): the
student answered and a teacher judged it; what the score is worth is then the lesson's
business (its score, and the ``min_score_percent`` of what depends on it). Grading takes the
graph's lock like the student's actions, and a conditional ``UPDATE ... WHERE status =
'pending'`` so that of two teachers grading at once, one wins and the other gets a 409.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.db import utcnow
from thebot.errors import Conflict, Invalid
from thebot.events import record
from thebot.knowledge import access
from thebot.knowledge.events import AnswerGraded
from thebot.knowledge.learning import progress
from thebot.knowledge.learning.render import answer_json, lesson_summary
from thebot.knowledge.models import (
    Answer,
    AnswerStatus,
    Element,
    ElementProgress,
    ElementState,
    GraphNode,
    KnowledgeGraph,
    Lesson,
)
from thebot.schemas import iso

PENDING = AnswerStatus.PENDING.value


def queue_statement(viewer: User, filters: dict[str, Any]) -> Select:
    """Pending answers of the students whose work ``viewer`` grades: one row each, with
    the student, lesson and element it needs (plain columns: one query per page)."""
    stmt = (
        select(
            Answer.id,
            Answer.created_at,
            Answer.attempt,
            Answer.answer,
            Answer.student_id,
            User.username,
            User.first_name,
            User.last_name,
            KnowledgeGraph.id.label("graph_id"),
            KnowledgeGraph.subject_id,
            GraphNode.id.label("node_id"),
            Lesson.id.label("lesson_id"),
            Lesson.title.label("lesson_title"),
            Element.id.label("element_id"),
            Element.title.label("element_title"),
            Element.content.label("element_content"),
            Element.max_score,
        )
        .join(ElementProgress, ElementProgress.id == Answer.progress_id)
        .join(GraphNode, GraphNode.id == ElementProgress.node_id)
        .join(KnowledgeGraph, KnowledgeGraph.id == GraphNode.graph_id)
        .join(Lesson, Lesson.id == GraphNode.lesson_id)
        .join(Element, Element.id == Answer.element_id)
        .join(User, User.id == Answer.student_id)
        .where(
            Answer.status == PENDING,
            access.gradable_students_clause(
                viewer, KnowledgeGraph.student_id, KnowledgeGraph.subject_id
            ),
        )
    )
    if "student" in filters:
        stmt = stmt.where(Answer.student_id == filters["student"])
    if "subject" in filters:
        stmt = stmt.where(KnowledgeGraph.subject_id == filters["subject"])
    return stmt


QUEUE_ORDER = [(Answer.created_at, "asc"), (Answer.id, "asc")]  # oldest first


def queue_item(row: Any) -> dict[str, Any]:
    name = f"{row.first_name} {row.last_name}".strip() or row.username
    return {
        "id": row.id,
        "attempt": row.attempt,
        "answer": row.answer,
        "created_at": iso(row.created_at),
        "student": {"id": row.student_id, "name": name},
        "subject_id": row.subject_id,
        "graph_id": row.graph_id,
        "node_id": row.node_id,
        "lesson": {"id": row.lesson_id, "title": row.lesson_title},
        "element": {
            "id": row.element_id,
            "title": row.element_title,
            "statement": (row.element_content or {}).get("statement", ""),
            "max_score": row.max_score,
        },
    }


def grade(
    dbsession: Session,
    grader: User,
    answer: Answer,
    node: GraphNode,
    score: int,
    feedback: str,
) -> dict[str, Any]:
    """Grade a pending answer: the element completes with ``score``, the lesson may
    complete and unlock others; ``AnswerGraded`` is recorded."""
    graph = progress.lock_graph(dbsession, node.graph_id)
    element = dbsession.get(Element, answer.element_id)
    assert element is not None
    if score > element.max_score:
        raise Invalid("score", f"At most the element's max_score ({element.max_score})")
    now = utcnow()
    taken = dbsession.execute(
        update(Answer)
        .where(Answer.id == answer.id, Answer.status == PENDING)
        .values(
            status=AnswerStatus.GRADED.value,
            score=score,
            feedback=feedback,
            grader_id=grader.id,
            graded_at=now,
        )
        .returning(Answer.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    dbsession.refresh(answer)
    if taken is None:
        raise Conflict("This answer is already graded.", kind="already-graded")
    row = dbsession.get(ElementProgress, answer.progress_id, populate_existing=True)
    assert row is not None
    row.state = ElementState.COMPLETED.value
    row.score = score
    row.completed_at = now
    dbsession.flush()
    lesson = progress.lesson_progress(dbsession, graph, node)
    unlocked = progress.complete_if_done(dbsession, graph, node, lesson)
    record(
        dbsession,
        AnswerGraded(
            answer_id=answer.id,
            element_id=element.id,
            graph_id=graph.id,
            node_id=node.id,
            student_id=answer.student_id,
            score=score,
        ),
    )
    return {
        "answer": answer_json(answer),
        "lesson": lesson_summary(dbsession, node, lesson),
        "unlocked_node_ids": unlocked,
    }
