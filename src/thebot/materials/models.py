"""Materials models: materials, their assignment to students, progress, comments,
homework submissions and feedback."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thebot.catalog.models import Subject
from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow
from thebot.media.models import MediaFile


class MaterialType(str, enum.Enum):
    LESSON = "lesson"
    PRESENTATION = "presentation"
    VIDEO = "video"
    DOCUMENT = "document"
    TEST = "test"
    HOMEWORK = "homework"


class MaterialStatus(str, enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class SubmissionStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    RETURNED = "returned"


class Material(Base):
    __tablename__ = "material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subject.id", ondelete="CASCADE"), nullable=False, index=True
    )
    type: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_file.id", ondelete="SET NULL"), nullable=True, index=True
    )
    video_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    difficulty: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)

    subject: Mapped[Subject] = relationship()
    file: Mapped[MediaFile | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"type IN {enum_values(MaterialType)}", name="type_valid"),
        CheckConstraint(f"status IN {enum_values(MaterialStatus)}", name="status_valid"),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty_range"),
        # The list order (newest first) carrying every column the visibility rules read: a
        # list walks it and skips what the viewer may not see without reading those rows
        # (an index-only scan in PostgreSQL; a student sees about a tenth of the materials).
        # Also the index of anything else ordered or filtered by ``created_at``.
        Index(
            "ix_material_created_at_visibility",
            "created_at",
            "id",
            "deleted_at",
            "status",
            "is_public",
            "author_id",
            "subject_id",
        ),
        # The live materials of an author / of subjects, as ids only (index-only scans): a
        # teacher's submissions waiting for review are those on one of these.
        *(
            Index(
                f"ix_material_live_{column}",
                column,
                "id",
                postgresql_where=text("deleted_at IS NULL"),
                sqlite_where=text("deleted_at IS NULL"),
            )
            for column in ("author_id", "subject_id")
        ),
    )


class MaterialAssignment(Base):
    """A material assigned to a student."""

    __tablename__ = "material_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("material.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("material_id", "student_id", name="uq_material_assignment"),
    )


class MaterialProgress(Base):
    """A student's progress on a material: percentage never decreases; 100 completes it."""

    __tablename__ = "material_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("material.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    percentage: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_completed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    time_spent_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_accessed_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("material_id", "student_id", name="uq_material_progress"),
        CheckConstraint("percentage BETWEEN 0 AND 100", name="percentage_range"),
    )


class MaterialComment(Base):
    """Threaded comments (depth 1-3), soft-deleted, with a moderation flag."""

    __tablename__ = "material_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("material.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("material_comment.id", ondelete="CASCADE"), nullable=True, index=True
    )
    depth: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    is_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (CheckConstraint("depth BETWEEN 1 AND 3", name="depth_range"),)


class MaterialSubmission(Base):
    """A student's answer to a homework material: one per (material, student)."""

    __tablename__ = "material_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("material.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="submitted", index=True
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        UniqueConstraint("material_id", "student_id", name="uq_material_submission"),
        CheckConstraint(f"status IN {enum_values(SubmissionStatus)}", name="status_valid"),
    )


class SubmissionFile(Base):
    __tablename__ = "submission_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("material_submission.id", ondelete="CASCADE"), nullable=False, index=True
    )
    file_id: Mapped[int] = mapped_column(
        ForeignKey("media_file.id", ondelete="CASCADE"), nullable=False, index=True
    )

    file: Mapped[MediaFile] = relationship()


class SubmissionFeedback(Base):
    """A teacher's review of a submission: grade 1-5 and text."""

    __tablename__ = "submission_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("material_submission.id", ondelete="CASCADE"), nullable=False, index=True
    )
    teacher_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    grade: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # reviewed | returned
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )

    __table_args__ = (CheckConstraint("grade BETWEEN 1 AND 5", name="grade_range"),)
