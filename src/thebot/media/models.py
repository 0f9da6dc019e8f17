"""Uploaded media files: stored under ``MEDIA_ROOT`` with a generated name, type verified."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow


class MediaKind(str, enum.Enum):
    MATERIAL = "material"
    SUBMISSION = "submission"
    AVATAR = "avatar"


class MediaFile(Base):
    """An uploaded file: stored under MEDIA_ROOT with a generated name, type verified."""

    __tablename__ = "media_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    storage_name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    # The object whose visibility governs GET /media/{path}.
    owner_type: Mapped[str] = mapped_column(String(32), nullable=False)
    owner_id: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint(f"kind IN {enum_values(MediaKind)}", name="kind_valid"),
        Index("ix_media_file_owner", "owner_type", "owner_id"),
    )
