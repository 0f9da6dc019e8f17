"""The backup catalog and the change log that incremental backups read.

Both tables are machinery of the backups feature: they are never written into an archive
(``EXCLUDED_TABLES``) and a restore keeps the catalog rows it found (the catalog describes
archive files on disk, which a restore does not change).

``Backup.created_by_id`` deliberately has no foreign key to ``user_account``: a restore
replaces ``user_account`` wholesale, while the catalog must survive it unchanged.
"""

from __future__ import annotations

import datetime as dt
import enum
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thebot.db import Base, UTCDateTime, enum_values, utcnow
from thebot.tasks import outbox


class BackupType(str, enum.Enum):
    FULL = "full"
    INCREMENTAL = "incremental"


class BackupStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class VerifyStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


class RestoreStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class BackupOrigin(str, enum.Enum):
    """Why a backup exists: asked for, on the schedule, before a restore, or imported."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"
    SAFETY = "safety"
    IMPORTED = "imported"


CATALOG_TABLE = "backup_record"
CHANGE_TABLE = "backup_change"
# The outbox and processed message ids too: a restored outbox would send old mail again; and
# the heartbeats of the running processes (restored, they would show dead ones as seen). By
# name: system and backups are independent layers (tests/system checks it is the table).
HEARTBEAT_TABLE = "heartbeat"
EXCLUDED_TABLES = frozenset({CATALOG_TABLE, CHANGE_TABLE, HEARTBEAT_TABLE, *outbox.TABLES})


class Backup(Base):
    """One archive: its creation, and the latest verification and restore of it."""

    __tablename__ = CATALOG_TABLE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    origin: Mapped[str] = mapped_column(String(16), nullable=False, default="manual")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey(f"{CATALOG_TABLE}.id"), nullable=True, index=True
    )
    # False once a restore replaced the data this backup's change point refers to.
    extendable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)
    format_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    app_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    alembic_revision: Mapped[str | None] = mapped_column(String(64), nullable=True)
    change_point: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    verify_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    verify_progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verify_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    verify_details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    restore_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    restore_progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    restored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    restore_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    restore_details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    parent: Mapped[Backup | None] = relationship(remote_side=[id])

    __table_args__ = (
        CheckConstraint(f"type IN {enum_values(BackupType)}", name="type_valid"),
        CheckConstraint(f"status IN {enum_values(BackupStatus)}", name="status_valid"),
        CheckConstraint(f"origin IN {enum_values(BackupOrigin)}", name="origin_valid"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
    )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Backup {self.id} {self.type} {self.status}>"


class ChangeLogEntry(Base):
    """A row written by a database trigger whenever a backed-up row changes.

    ``pk`` is the JSON array of the row's primary key; ``op`` is ``I``, ``U``, ``D`` or
    ``T`` (the whole table must be copied: capture was (re)installed, or a TRUNCATE).
    ``txid`` is the writing transaction on PostgreSQL (see ``thebot.backups.engine.capture``).
    """

    __tablename__ = CHANGE_TABLE

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    table_name: Mapped[str] = mapped_column(String(128), nullable=False)
    op: Mapped[str] = mapped_column(String(1), nullable=False)
    pk: Mapped[str | None] = mapped_column(Text, nullable=True)
    txid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index("ix_backup_change_table_seq", "table_name", "seq"),
        Index("ix_backup_change_table_txid", "table_name", "txid"),
        # Never reuse a sequence number after the log is pruned (SQLite watermarks).
        {"sqlite_autoincrement": True},
    )
