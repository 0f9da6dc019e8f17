"""Scheduling models: lessons and their history, recurring series, reminders sent, and
calendar feed tokens."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow


class LessonStatus(str, enum.Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (LessonStatus.PENDING.value, LessonStatus.CONFIRMED.value)


class LessonSeries(Base):
    """A recurring lesson: an RFC 5545 RRULE anchored at a local wall-clock start time."""

    __tablename__ = "lesson_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    teacher_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subject.id", ondelete="CASCADE"), nullable=False, index=True
    )
    rrule: Mapped[str] = mapped_column(Text, nullable=False)
    # The first occurrence as local wall-clock time (naive) in ``timezone``: DST-safe.
    start_local: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    exdates: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    meeting_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class Lesson(Base):
    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    teacher_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subject.id", ondelete="CASCADE"), nullable=False, index=True
    )
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    meeting_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_series.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The occurrence's original start (RECURRENCE-ID) when it belongs to a series.
    occurrence_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    enrollment_override: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # iCalendar
    cancel_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"status IN {enum_values(LessonStatus)}", name="status_valid"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_lesson_teacher_start", "teacher_id", "start_at"),
        Index("ix_lesson_student_start", "student_id", "start_at"),
    )


class LessonHistory(Base):
    """Every change of a lesson: action, who, old and new values."""

    __tablename__ = "lesson_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lesson.id", ondelete="CASCADE"), nullable=False, index=True
    )
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    old_values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    new_values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )


class LessonReminder(Base):
    """A reminder claimed for (lesson, recipient, offset): the unique key makes it once-only."""

    __tablename__ = "lesson_reminder"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lesson.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    offset_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("lesson_id", "user_id", "offset_minutes", name="uq_lesson_reminder"),
    )


class CalendarToken(Base):
    """Secret token of a user's iCalendar feed (stored as SHA-256; one live token per user)."""

    __tablename__ = "calendar_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
