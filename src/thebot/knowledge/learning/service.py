"""The student's actions on a lesson of their graph, and what the lesson shows.

Every action takes the graph's lock, then refuses a locked lesson (``LessonLocked``, 409,
with the unmet prerequisites); see ``progress`` for what completes a lesson.

- ``start``: the element's progress begins (its clock, for theory and video); the first
  start moves the lesson ``unlocked -> in_progress``. Starting again changes nothing.
- ``answer`` (quick questions, text problems; it starts the element if needed): one attempt
  of ``max_attempts``, taken by a conditional ``UPDATE ... WHERE attempts < max`` so two
  answers at once cannot both use the last one. A quick question is graded at once: right
  completes it with ``max_score``; wrong with attempts left keeps it open; wrong on the last
  attempt fails it (score 0). A text problem waits for a teacher (``pending_review``).
- A quick question the student finished (completed or failed) in another lesson or graph
  (the same element placed twice) is finished here with that result on ``start`` or
  ``answer`` (``carry_over``): they have seen its answer, so new attempts would grade
  nothing. One still open elsewhere shares its attempts spent.
- ``read`` (theory): completes only ``READ_FRACTION`` of the estimated minutes after the
  start, else 409 with ``seconds_remaining``.
- ``watch`` (video): heartbeats ``{"position_seconds"}`` (the furthest point reached) or
  ``{"seconds"}`` (watched since the last one); the credited total never exceeds the
  wall-clock time since the start nor the duration; completes at ``WATCH_THRESHOLD`` of
  the duration.

(``READ_FRACTION`` and ``WATCH_THRESHOLD`` are in ``content``.)
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from thebot.db import utcnow
from thebot.errors import Conflict, NotFound
from thebot.knowledge.learning import content, progress
from thebot.knowledge.learning.render import element_entry, last_answers, lesson_summary
from thebot.knowledge.models import (
    Answer,
    AnswerStatus,
    Element,
    ElementProgress,
    ElementState,
    ElementType,
    GraphNode,
    LessonElement,
)

NOT_STARTED = ElementState.NOT_STARTED.value
IN_PROGRESS = ElementState.IN_PROGRESS.value
PENDING = ElementState.PENDING_REVIEW.value
COMPLETED = ElementState.COMPLETED.value
FAILED = ElementState.FAILED.value
OPEN = (NOT_STARTED, IN_PROGRESS)
ANSWERED = (ElementType.QUICK_QUESTION.value, ElementType.TEXT_PROBLEM.value)


class Step:
    """One action's working set: the locked graph, the open lesson, the element."""

    def __init__(self, dbsession: Session, graph_id: int, node: GraphNode, element_id: int):
        self.dbsession = dbsession
        self.graph = progress.lock_graph(dbsession, graph_id)
        self.node = node
        self.lesson = progress.ensure_open(dbsession, self.graph, node)
        found = dbsession.execute(
            select(LessonElement, Element)
            .join(Element, Element.id == LessonElement.element_id)
            .where(
                LessonElement.lesson_id == node.lesson_id, LessonElement.element_id == element_id
            )
        ).first()
        if found is None:  # taken out of the lesson since the resource looked
            raise NotFound("No such element in this lesson.")
        self.place, self.element = found
        self.row = dbsession.scalar(
            select(ElementProgress)
            .where(ElementProgress.node_id == node.id, ElementProgress.element_id == element_id)
            .execution_options(populate_existing=True)
        )

    def started(self) -> ElementProgress:
        """The element's progress, started now if it was not."""
        now = utcnow()
        if self.row is None:
            assert self.graph.student_id is not None
            self.row = ElementProgress(
                node_id=self.node.id,
                element_id=self.element.id,
                student_id=self.graph.student_id,
                state=NOT_STARTED,
            )
            self.dbsession.add(self.row)
        if self.row.state == NOT_STARTED:
            self.row.state = IN_PROGRESS
            self.row.started_at = now
        progress.start_lesson(self.lesson)
        self.dbsession.flush()
        return self.row

    def require_started(self, verb: str) -> ElementProgress:
        if self.row is None or self.row.started_at is None:
            raise Conflict(f"Start this element before you {verb} it.", kind="not-started")
        return self.row

    def complete(self, score: int) -> None:
        assert self.row is not None
        self.row.state = COMPLETED
        self.row.score = score
        self.row.completed_at = utcnow()

    def result(self, **extra: Any) -> dict[str, Any]:
        unlocked = progress.complete_if_done(self.dbsession, self.graph, self.node, self.lesson)
        answers = last_answers(self.dbsession, [self.row.id] if self.row else [])
        entry = element_entry(self.place, self.element, self.row, answers.get(self.element.id))
        return {
            **extra,
            "element": entry,
            "lesson": lesson_summary(self.dbsession, self.node, self.lesson),
            "unlocked_node_ids": unlocked,
        }


def require_type(element: Element, types: tuple[str, ...], verb: str) -> None:
    if element.type not in types:
        raise Conflict(
            f"A {element.type.replace('_', ' ')} element is not {verb}.", kind="wrong-element-type"
        )


def carry_over(dbsession: Session, row: ElementProgress, element: Element) -> bool:
    """A quick question the student already finished elsewhere (the same element in another
    lesson or graph) is finished here too, with that result: its answer and explanation
    were shown to them there, so fresh attempts would grade nothing. One still open
    elsewhere shares its attempts (the most spent in any place): otherwise each place
    would add ``max_attempts`` wrong guesses to eliminate choices with. Returns whether it
    carried a result over."""
    if element.type != ElementType.QUICK_QUESTION.value or row.state not in OPEN:
        return False
    elsewhere = (
        ElementProgress.student_id == row.student_id,
        ElementProgress.element_id == element.id,
        ElementProgress.id != row.id,
    )
    earlier = dbsession.scalars(
        select(ElementProgress)
        .where(*elsewhere, ElementProgress.state.in_(content.REVEALED_STATES))
        .order_by(ElementProgress.completed_at, ElementProgress.id)
        .limit(1)
    ).first()
    if earlier is None:
        spent = dbsession.scalar(select(func.max(ElementProgress.attempts)).where(*elsewhere))
        if spent is not None and spent > row.attempts:
            row.attempts = spent
            dbsession.flush()
        return False
    row.state, row.score = earlier.state, earlier.score
    row.attempts = max(row.attempts, earlier.attempts)
    row.completed_at = utcnow()
    dbsession.flush()
    return True


def start(dbsession: Session, graph_id: int, node: GraphNode, element_id: int) -> dict[str, Any]:
    step = Step(dbsession, graph_id, node, element_id)
    carry_over(dbsession, step.started(), step.element)
    return step.result()


def answer(
    dbsession: Session, graph_id: int, node: GraphNode, element_id: int, value: Any
) -> dict[str, Any]:
    step = Step(dbsession, graph_id, node, element_id)
    element = step.element
    require_type(element, ANSWERED, "answered (read or watch it)")
    value = content.check_shape(element, value)
    row = step.started()
    if carry_over(dbsession, row, element):  # finished elsewhere: that result stands
        return step.result(
            state=row.state,
            score=row.score,
            attempts_left=max(element.max_attempts - row.attempts, 0),
            **revealed_explanation(element, row),
        )
    if row.state == PENDING:
        raise Conflict("Your answer is waiting for a teacher's grade.", kind="pending-review")
    if row.state in progress.DONE:
        raise Conflict("This element is finished: no more answers.", kind="element-done")
    attempt = take_attempt(dbsession, row, element.max_attempts)
    left = element.max_attempts - attempt
    if element.type == ElementType.TEXT_PROBLEM.value:
        dbsession.add(
            Answer(
                progress_id=row.id,
                student_id=row.student_id,
                element_id=element.id,
                attempt=attempt,
                answer=value,
                status=AnswerStatus.PENDING.value,
            )
        )
        row.state = PENDING
        dbsession.flush()
        return step.result(state=row.state, score=row.score, attempts_left=left)
    correct = content.is_correct(element, value)
    score = element.max_score if correct else 0
    dbsession.add(
        Answer(
            progress_id=row.id,
            student_id=row.student_id,
            element_id=element.id,
            attempt=attempt,
            answer=value,
            status=AnswerStatus.GRADED.value,
            correct=correct,
            score=score,
            graded_at=utcnow(),
        )
    )
    if correct:
        step.complete(score)
    elif left <= 0:
        row.state = FAILED
        row.score = 0
        row.completed_at = utcnow()
    dbsession.flush()
    return step.result(
        correct=correct,
        state=row.state,
        score=row.score,
        attempts_left=left,
        **revealed_explanation(element, row),
    )


def revealed_explanation(element: Element, row: ElementProgress) -> dict[str, Any]:
    """``{"explanation"}`` once the element is completed or failed (and has one)."""
    explanation = (element.content or {}).get("explanation")
    if row.state in content.REVEALED_STATES and explanation:
        return {"explanation": explanation}
    return {}


def take_attempt(dbsession: Session, row: ElementProgress, max_attempts: int) -> int:
    """Use one attempt, or ``Conflict`` when none is left: the ``WHERE`` decides in the
    database, so a concurrent answer that took the last attempt makes this one match no
    row. Returns the attempt's number."""
    taken = dbsession.execute(
        update(ElementProgress)
        .where(
            ElementProgress.id == row.id,
            ElementProgress.attempts < max_attempts,
            ElementProgress.state.in_((NOT_STARTED, IN_PROGRESS)),
        )
        .values(attempts=ElementProgress.attempts + 1)
        .returning(ElementProgress.attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    dbsession.refresh(row)
    if taken is None:
        raise Conflict("No attempts left on this element.", kind="no-attempts-left")
    return int(taken)


def read(dbsession: Session, graph_id: int, node: GraphNode, element_id: int) -> dict[str, Any]:
    step = Step(dbsession, graph_id, node, element_id)
    require_type(step.element, (ElementType.THEORY.value,), "read (answer or watch it)")
    row = step.require_started("read")
    if row.state != COMPLETED:
        assert row.started_at is not None
        elapsed = (utcnow() - row.started_at).total_seconds()
        remaining = math.ceil(content.min_read_seconds(step.element) - elapsed)
        if remaining > 0:
            raise Conflict(
                f"Too early: read on for {remaining} more seconds.",
                kind="too-early",
                seconds_remaining=remaining,
            )
        step.complete(step.element.max_score)
        dbsession.flush()
    return step.result()


def watch(
    dbsession: Session,
    graph_id: int,
    node: GraphNode,
    element_id: int,
    *,
    position: int | None = None,
    seconds: int | None = None,
) -> dict[str, Any]:
    """A heartbeat: ``position`` (seconds into the video) or ``seconds`` (watched since the
    previous heartbeat); the credit is capped as the module docstring says."""
    step = Step(dbsession, graph_id, node, element_id)
    require_type(step.element, (ElementType.VIDEO.value,), "watched (read or answer it)")
    row = step.require_started("watch")
    if row.state != COMPLETED:
        assert row.started_at is not None
        now = utcnow()
        elapsed = max(0, math.floor((now - row.started_at).total_seconds()))
        cap = min(elapsed, content.video_duration(step.element))
        if position is not None:
            credited = max(row.watched_seconds, min(position, cap))
        else:
            credited = min(row.watched_seconds + (seconds or 0), cap)
        row.watched_seconds = max(row.watched_seconds, credited)
        row.last_heartbeat_at = now
        if row.watched_seconds >= content.watch_seconds_needed(step.element):
            step.complete(step.element.max_score)
        dbsession.flush()
    return step.result()
