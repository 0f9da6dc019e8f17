"""Assignments with late policies and rubrics, versioned submissions, grades, per-student
extensions, and progress reports about a student."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow


class AssignmentType(str, enum.Enum):
    HOMEWORK = "homework"
    TEST = "test"
    PROJECT = "project"
    ESSAY = "essay"
    PRACTICAL = "practical"


class AssignmentStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class PenaltyType(str, enum.Enum):
    PERCENTAGE = "percentage"
    FIXED = "fixed"


class PenaltyFrequency(str, enum.Enum):
    PER_DAY = "per_day"
    PER_HOUR = "per_hour"


class SubmissionStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    GRADED = "graded"
    RETURNED = "returned"


class ReportType(str, enum.Enum):
    PROGRESS = "progress"
    BEHAVIOUR = "behaviour"
    ACHIEVEMENT = "achievement"
    ATTENDANCE = "attendance"
    PERFORMANCE = "performance"
    CUSTOM = "custom"


class ReportStatus(str, enum.Enum):
    DRAFT = "draft"
    SENT = "sent"
    READ = "read"
    ARCHIVED = "archived"


SCORE = Numeric(8, 2)


class Assignment(Base):
    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    instructions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subject.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False, default="homework")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    max_score: Mapped[Decimal] = mapped_column(SCORE, nullable=False, default=Decimal("100"))
    start_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    attempts_limit: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Assign to every active enrollment of the subject (besides explicit assignees).
    assign_to_subject: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Late policy.
    allow_late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    late_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    penalty_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    penalty_value: Mapped[Decimal] = mapped_column(SCORE, nullable=False, default=Decimal("0"))
    penalty_frequency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    max_penalty: Mapped[Decimal | None] = mapped_column(SCORE, nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cloned_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"type IN {enum_values(AssignmentType)}", name="type_valid"),
        CheckConstraint(f"status IN {enum_values(AssignmentStatus)}", name="status_valid"),
        CheckConstraint(
            f"penalty_type IS NULL OR penalty_type IN {enum_values(PenaltyType)}",
            name="penalty_type_valid",
        ),
        CheckConstraint(
            f"penalty_frequency IS NULL OR penalty_frequency IN {enum_values(PenaltyFrequency)}",
            name="penalty_frequency_valid",
        ),
        CheckConstraint("max_score > 0", name="max_score_positive"),
        CheckConstraint("attempts_limit >= 1", name="attempts_positive"),
    )


class RubricCriterion(Base):
    __tablename__ = "rubric_criterion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    max_points: Mapped[Decimal] = mapped_column(SCORE, nullable=False)

    __table_args__ = (CheckConstraint("max_points > 0", name="max_points_positive"),)


class AssignmentAssignee(Base):
    __tablename__ = "assignment_assignee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)

    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id", name="uq_assignment_assignee"),
    )


class AssignmentExtension(Base):
    """A per-student deadline extension: moves that student's due date (and late deadline)."""

    __tablename__ = "assignment_extension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    late_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    granted_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id", name="uq_assignment_extension"),
    )


class AssignmentSubmission(Base):
    """One attempt (version) of a student's work; ``counts`` marks the one that is graded."""

    __tablename__ = "assignment_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="submitted", index=True
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    is_late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    lateness_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    counts: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    return_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id", "attempt", name="uq_submission_attempt"),
        CheckConstraint(f"status IN {enum_values(SubmissionStatus)}", name="status_valid"),
        Index("ix_assignment_submission_student_assignment", "student_id", "assignment_id"),
    )


class AttemptStart(Base):
    """When a student opened a timed attempt: its deadline is start + ``time_limit_minutes``."""

    __tablename__ = "assignment_attempt_start"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id", "attempt", name="uq_attempt_start"),
    )


class AssignmentSubmissionFile(Base):
    __tablename__ = "assignment_submission_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("assignment_submission.id", ondelete="CASCADE"), nullable=False, index=True
    )
    file_id: Mapped[int] = mapped_column(
        ForeignKey("media_file.id", ondelete="CASCADE"), nullable=False, index=True
    )


class Grade(Base):
    """The grade of one submission: raw score, late penalty and final score kept apart."""

    __tablename__ = "grade"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("assignment_submission.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    grader_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    raw_score: Mapped[Decimal] = mapped_column(SCORE, nullable=False)
    penalty: Mapped[Decimal] = mapped_column(SCORE, nullable=False, default=Decimal("0"))
    final_score: Mapped[Decimal] = mapped_column(SCORE, nullable=False)
    feedback: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # {criterion_id: points} when the assignment has a rubric.
    rubric_scores: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    graded_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )


class StudentReport(Base):
    """A teacher's or tutor's report about one student, with figures computed for a period."""

    __tablename__ = "student_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    author_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False, default="progress")
    period_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    show_to_parent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    is_weekly_draft: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_by_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"type IN {enum_values(ReportType)}", name="type_valid"),
        CheckConstraint(f"status IN {enum_values(ReportStatus)}", name="status_valid"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        # One weekly draft per (author, student, week), however often the actor runs.
        Index(
            "uq_student_report_weekly",
            "author_id",
            "student_id",
            "period_start",
            unique=True,
            postgresql_where=text("is_weekly_draft"),
            sqlite_where=text("is_weekly_draft"),
        ),
    )
