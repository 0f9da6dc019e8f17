"""Chat models: rooms, their members (role, read state, mute) and messages.

A ``direct`` room keeps its two people as an ordered pair (``direct_low_id`` <
``direct_high_id``) under one unique key, so get-or-create returns the same room whichever
side asks, even when both ask at once. A ``subject`` room is unique per subject + teacher.
A deleted user's messages stay (``author_id`` becomes NULL: "deleted user").
On PostgreSQL, message search (``?q=``) uses a GIN index on ``message_document()``.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    column,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow

TS_CONFIG = "simple"  # full-text search without stemming: rooms mix languages


def message_document(text_column: Any) -> Any:
    """A message's full-text document (PostgreSQL). Search filters on exactly this
    expression (of ``ChatMessage.text``), so the planner uses the GIN index on it."""
    return func.to_tsvector(literal_column(f"'{TS_CONFIG}'::regconfig"), text_column)


class RoomType(str, enum.Enum):
    DIRECT = "direct"
    GROUP = "group"
    SUBJECT = "subject"


class MemberRole(str, enum.Enum):
    MEMBER = "member"
    MODERATOR = "moderator"


class ChatRoom(Base):
    __tablename__ = "chat_room"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    # direct rooms: the two people, smaller id first (one room per pair)
    direct_low_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    direct_high_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    # subject rooms: one per subject + teacher
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("subject.id", ondelete="SET NULL"), nullable=True, index=True
    )
    teacher_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    locked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the last message's time (the creation time before any): the room list's order
    activity_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"type IN {enum_values(RoomType)}", name="type_valid"),
        CheckConstraint(
            "direct_low_id IS NULL OR direct_high_id IS NULL OR direct_low_id < direct_high_id",
            name="direct_pair_ordered",
        ),
        UniqueConstraint("direct_low_id", "direct_high_id", name="uq_chat_room_direct_pair"),
        UniqueConstraint("subject_id", "teacher_id", name="uq_chat_room_subject_teacher"),
    )


class ChatMember(Base):
    """A user's membership of a room: role, mute, read state, email digest state.

    ``left_at`` set: no longer a member (the row keeps the read state for a return).
    """

    __tablename__ = "chat_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("chat_room.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(user_fk(), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="member")
    muted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    read_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_read_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # email digest: when the pending digest is due, and the last message one covered
    digest_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    digest_through_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        CheckConstraint(f"role IN {enum_values(MemberRole)}", name="role_valid"),
        UniqueConstraint("room_id", "user_id", name="uq_chat_member_room_user"),
    )


class ChatMessage(Base):
    __tablename__ = "chat_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("chat_room.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_message.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pinned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pinned_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )

    __table_args__ = (
        Index("ix_chat_message_room_id_id", "room_id", "id"),
        Index("ix_chat_message_created_at", "created_at"),
        # PostgreSQL only: SQLite searches with LIKE (and has no to_tsvector).
        Index(
            "ix_chat_message_text_fts", message_document(column("text")), postgresql_using="gin"
        ).ddl_if(dialect="postgresql"),
    )
