"""Knowledge-graph models: authored elements and lessons, graphs of lessons (templates per
subject and per-student graphs built from them), and each student's progress.

Templates and student graphs share one table (``KnowledgeGraph.kind``) and one node and
dependency table, so a student graph is a copy of a template's structure that remembers
where each node and edge came from (``source_*_id``): editing a template can be propagated
to student graphs without touching their progress, which hangs off the student's nodes.

A student node's ``LessonProgress.state`` is stored (locked, unlocked, in_progress,
completed) and recomputed in the transaction that changes a prerequisite, so an unlock is
an event recorded once, at the moment it happens.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from itertools import chain
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow


class ElementType(str, enum.Enum):
    THEORY = "theory"
    VIDEO = "video"
    QUICK_QUESTION = "quick_question"
    TEXT_PROBLEM = "text_problem"


class GraphKind(str, enum.Enum):
    TEMPLATE = "template"
    STUDENT = "student"


class DependencyType(str, enum.Enum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"
    OPTIONAL = "optional"


class LessonState(str, enum.Enum):
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ElementState(str, enum.Enum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PENDING_REVIEW = "pending_review"  # a text problem answered, waiting for a grade
    COMPLETED = "completed"
    FAILED = "failed"  # attempts exhausted without a correct answer


class AnswerStatus(str, enum.Enum):
    GRADED = "graded"
    PENDING = "pending"


def new_progress_tag() -> int:
    """A random tag (62 bits: a signed BIGINT on every database) that a graph never had."""
    return secrets.randbits(62)


def _subject_fk() -> ForeignKey:
    return ForeignKey("subject.id", ondelete="CASCADE")


def _total() -> Any:
    return mapped_column(Integer, nullable=False, default=0, server_default="0")


class Element(Base):
    """One unit of content; ``content`` is validated per ``type`` (``schemas``)."""

    __tablename__ = "knowledge_element"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    subject_id: Mapped[int] = mapped_column(_subject_fk(), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    difficulty: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    estimated_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    max_score: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"type IN {enum_values(ElementType)}", name="type_valid"),
        CheckConstraint("difficulty BETWEEN 1 AND 10", name="difficulty_range"),
        CheckConstraint("max_score >= 0", name="max_score_positive"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
    )


class Lesson(Base):
    """An ordered list of elements of one subject. Its totals are derived from them and
    stored (``thebot.knowledge.totals``: refreshed wherever the element list, or an
    element's ``max_score`` or ``estimated_minutes``, changes): every read of a graph or an
    overview shows them, and they are the same for every student."""

    __tablename__ = "knowledge_lesson"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    subject_id: Mapped[int] = mapped_column(_subject_fk(), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    element_count: Mapped[int] = _total()
    required_count: Mapped[int] = _total()
    estimated_minutes: Mapped[int] = _total()  # every element
    max_score: Mapped[int] = _total()  # required elements only: what completion counts
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class LessonElement(Base):
    """An element's place in a lesson, and whether it counts toward completion."""

    __tablename__ = "knowledge_lesson_element"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_lesson.id", ondelete="CASCADE"), nullable=False, index=True
    )
    element_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_element.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (
        UniqueConstraint("lesson_id", "element_id", name="uq_knowledge_lesson_element"),
    )


class KnowledgeGraph(Base):
    """A graph of lessons: a subject's template, or one student's path (``kind``)."""

    __tablename__ = "knowledge_graph"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    subject_id: Mapped[int] = mapped_column(_subject_fk(), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    student_id: Mapped[int | None] = mapped_column(user_fk(), nullable=True, index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_graph.id", ondelete="SET NULL"), nullable=True, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # A fresh random value whenever the graph's nodes or lesson progress change (set by
    # ``_retag_changed_graphs`` below): what the class overview's cached rows are checked by.
    progress_tag: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=new_progress_tag, server_default="0"
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"kind IN {enum_values(GraphKind)}", name="kind_valid"),
        CheckConstraint(
            "(kind = 'student') = (student_id IS NOT NULL)", name="student_graph_has_student"
        ),
    )


class GraphNode(Base):
    """A lesson placed in a graph (``x``/``y`` for the editor)."""

    __tablename__ = "knowledge_node"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    graph_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_graph.id", ondelete="CASCADE"), nullable=False, index=True
    )
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_lesson.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    x: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    y: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    source_node_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_node.id", ondelete="SET NULL"), nullable=True, index=True
    )

    __table_args__ = (UniqueConstraint("graph_id", "lesson_id", name="uq_knowledge_node_lesson"),)


class Dependency(Base):
    """``from_node`` must come before ``to_node`` (``type``, ``min_score_percent``)."""

    __tablename__ = "knowledge_dependency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    graph_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_graph.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_node_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_node.id", ondelete="CASCADE"), nullable=False, index=True
    )
    to_node_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_node.id", ondelete="CASCADE"), nullable=False, index=True
    )
    type: Mapped[str] = mapped_column(String(16), nullable=False, default="required")
    min_score_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    source_dependency_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_dependency.id", ondelete="SET NULL"), nullable=True, index=True
    )

    __table_args__ = (
        CheckConstraint(f"type IN {enum_values(DependencyType)}", name="type_valid"),
        CheckConstraint("min_score_percent BETWEEN 0 AND 100", name="min_score_range"),
        CheckConstraint("from_node_id <> to_node_id", name="no_self_loop"),
        UniqueConstraint("from_node_id", "to_node_id", name="uq_knowledge_dependency_pair"),
    )


class LessonProgress(Base):
    """A student's state in one lesson of their graph (one row per student node)."""

    __tablename__ = "knowledge_lesson_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_node.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    graph_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_graph.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="locked")
    score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unlocked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (CheckConstraint(f"state IN {enum_values(LessonState)}", name="state_valid"),)


class ElementProgress(Base):
    """A student's work on one element of one lesson of their graph."""

    __tablename__ = "knowledge_element_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_node.id", ondelete="CASCADE"), nullable=False, index=True
    )
    element_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_element.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="not_started")
    score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    watched_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(f"state IN {enum_values(ElementState)}", name="state_valid"),
        UniqueConstraint("node_id", "element_id", name="uq_knowledge_element_progress"),
    )


class Answer(Base):
    """One submitted answer: graded at once (quick questions) or by a teacher (text)."""

    __tablename__ = "knowledge_answer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    progress_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_element_progress.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    element_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_element.id", ondelete="CASCADE"), nullable=False, index=True
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    answer: Mapped[Any] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    feedback: Mapped[str] = mapped_column(Text, nullable=False, default="")
    grader_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    graded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(f"status IN {enum_values(AnswerStatus)}", name="status_valid"),
        UniqueConstraint("progress_id", "attempt", name="uq_knowledge_answer_attempt"),
        Index("ix_knowledge_answer_status_created", "status", "created_at"),
    )


@event.listens_for(Session, "after_flush")
def _retag_changed_graphs(session: Session, _flush_context: Any) -> None:
    """Every flush that adds, changes or removes a graph's nodes or lesson progress gives
    the graph a new ``progress_tag`` in the same transaction, so whatever was computed from
    the old rows (the class overview's cache) is known stale by the tag alone. Rows removed
    with Core statements go with their node (``structure.service.remove_node``), which is
    removed through the session. (The session's new/dirty/deleted sets still describe the
    flush here; ``updated_at`` is kept: a progress change is not an edit of the graph.)"""
    graph_ids = {
        obj.graph_id
        for obj in chain(session.new, session.dirty, session.deleted)
        if isinstance(obj, LessonProgress | GraphNode)
        and (obj not in session.dirty or session.is_modified(obj))
    }
    if not graph_ids:
        return
    session.connection().execute(
        update(KnowledgeGraph)
        .where(KnowledgeGraph.id.in_(sorted(graph_ids)))
        .values(progress_tag=new_progress_tag(), updated_at=KnowledgeGraph.updated_at)
    )
