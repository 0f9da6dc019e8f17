"""Knowledge-graph domain events, dispatched after commit (``thebot.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from thebot.events import DomainEvent


@dataclass(frozen=True)
class LessonUnlocked(DomainEvent):
    """A lesson of a student's graph became open to the student."""

    name = "knowledge.lesson_unlocked"

    graph_id: int = 0
    node_id: int = 0
    lesson_id: int = 0
    student_id: int = 0
    title: str = ""

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.student_id,)


@dataclass(frozen=True)
class LessonCompleted(DomainEvent):
    """A student completed a lesson of their graph (``score`` of ``max_score``)."""

    name = "knowledge.lesson_completed"

    graph_id: int = 0
    node_id: int = 0
    lesson_id: int = 0
    student_id: int = 0
    score: int = 0
    max_score: int = 0

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.student_id,)


@dataclass(frozen=True)
class AnswerGraded(DomainEvent):
    """A teacher graded a student's text answer."""

    name = "knowledge.answer_graded"

    answer_id: int = 0
    element_id: int = 0
    graph_id: int = 0
    node_id: int = 0
    student_id: int = 0
    score: int = 0

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.student_id,)


KNOWLEDGE_EVENTS = (LessonUnlocked, LessonCompleted, AnswerGraded)
