"""The backup catalog: requesting work, the chain of a backup, and who may run now.

Plain functions over a session. The long-running work (create, verify, restore) is in
``thebot.backups.operations``; views, actors and console scripts call these first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from thebot.backups.engine.format import BackupError
from thebot.backups.engine.restore import Link, code_revision
from thebot.backups.models import (
    Backup,
    BackupOrigin,
    BackupStatus,
    BackupType,
    RestoreStatus,
    VerifyStatus,
)
from thebot.db import utcnow

# A pending or running record untouched for this long was interrupted (worker killed).
STALE_AFTER = dt.timedelta(hours=12)
ACTIVE = (BackupStatus.PENDING.value, BackupStatus.RUNNING.value)


class BackupConflict(BackupError):
    """The request clashes with the state of the catalog (the API answers 409)."""


@dataclass(frozen=True)
class Config:
    directory: Path
    media_root: Path

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Config:
        return cls(
            directory=Path(settings["backup_dir"]).resolve(),
            media_root=Path(settings["media_root"]).resolve(),
        )


@contextlib.contextmanager
def catalog(registry: Any) -> Iterator[Session]:
    """A short transaction on the catalog, committed on leaving the block."""
    with registry["dbsession_factory"]() as session, session.begin():
        yield session


@contextlib.contextmanager
def operation_lock(directory: Path) -> Iterator[None]:
    """One create or restore at a time: an exclusive lock file in the backup directory.

    Every worker must see the same backup directory anyway (archives live there).
    """
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupConflict("another backup or restore is running") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fresh(record_time: dt.datetime | None, now: dt.datetime) -> bool:
    return record_time is not None and record_time > now - STALE_AFTER


def busy_with(dbsession: Session) -> Backup | None:
    """A backup being created or restored right now (stale records do not count)."""
    now = utcnow()
    candidates = dbsession.execute(
        select(Backup).where(
            or_(
                Backup.status.in_(ACTIVE),
                Backup.restore_status.in_(
                    (RestoreStatus.PENDING.value, RestoreStatus.RUNNING.value)
                ),
            )
        )
    ).scalars()
    return next((b for b in candidates if _fresh(b.updated_at, now)), None)


def latest_extendable(dbsession: Session) -> Backup | None:
    """The backup a new incremental would build on: the newest completed, extendable one."""
    return dbsession.execute(
        select(Backup)
        .where(Backup.status == BackupStatus.COMPLETED.value, Backup.extendable.is_(True))
        .order_by(Backup.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def incremental_base(dbsession: Session) -> Backup:
    """The parent of a new incremental; ``BackupConflict`` when a full backup is needed."""
    parent = latest_extendable(dbsession)
    if parent is None:
        raise BackupConflict(
            "There is no backup to build an incremental on (a restore starts a new chain): "
            "take a full backup first."
        )
    if parent.alembic_revision != code_revision():
        raise BackupConflict(
            f"The database schema changed since backup #{parent.id}: take a full backup."
        )
    if not parent.path or not Path(parent.path).is_file():
        raise BackupConflict(
            f"The archive of backup #{parent.id} is missing from the backup directory: "
            "take a full backup."
        )
    return parent


def new_record(
    dbsession: Session,
    kind: str,
    *,
    origin: str,
    created_by: int | None = None,
    parent: Backup | None = None,
    message: str = "waiting for a worker",
) -> Backup:
    backup = Backup(
        uuid=uuid.uuid4().hex,
        type=kind,
        origin=origin,
        status=BackupStatus.PENDING.value,
        parent_id=parent.id if parent is not None else None,
        created_by_id=created_by,
        message=message,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    dbsession.add(backup)
    dbsession.flush()
    return backup


def request_backup(
    dbsession: Session,
    kind: str,
    *,
    origin: str = BackupOrigin.MANUAL.value,
    created_by: int | None = None,
) -> Backup:
    """A pending backup record; ``BackupConflict`` when one is running or none can be based."""
    if kind not in (BackupType.FULL.value, BackupType.INCREMENTAL.value):
        raise BackupError(f"unknown backup type {kind!r}")
    running = busy_with(dbsession)
    if running is not None:
        raise BackupConflict(f"Backup #{running.id} is busy; wait until it finishes.")
    parent = incremental_base(dbsession) if kind == BackupType.INCREMENTAL.value else None
    return new_record(dbsession, kind, origin=origin, created_by=created_by, parent=parent)


def _require_completed(backup: Backup) -> None:
    if backup.status != BackupStatus.COMPLETED.value or not backup.path:
        raise BackupConflict(f"Backup #{backup.id} is {backup.status}, not completed.")


def request_verify(dbsession: Session, backup: Backup) -> Backup:
    _require_completed(backup)
    if backup.verify_status in (VerifyStatus.PENDING.value, VerifyStatus.RUNNING.value) and (
        _fresh(backup.updated_at, utcnow())
    ):
        raise BackupConflict(f"Backup #{backup.id} is already being verified.")
    backup.verify_status = VerifyStatus.PENDING.value
    backup.verify_progress = 0
    backup.updated_at = utcnow()
    dbsession.flush()
    return backup


def request_restore(dbsession: Session, backup: Backup) -> Backup:
    _require_completed(backup)
    chain_of(dbsession, backup)  # a broken chain is refused now, not in the worker
    running = busy_with(dbsession)
    if running is not None:
        raise BackupConflict(f"Backup #{running.id} is busy; wait until it finishes.")
    backup.restore_status = RestoreStatus.PENDING.value
    backup.restore_progress = 0
    backup.restore_error = None
    backup.updated_at = utcnow()
    dbsession.flush()
    return backup


def chain_of(dbsession: Session, backup: Backup) -> list[Backup]:
    """The full backup and the incrementals leading to ``backup`` (root first)."""
    chain = [backup]
    while chain[-1].type == BackupType.INCREMENTAL.value:
        parent = chain[-1].parent
        if parent is None:
            raise BackupError(
                f"backup #{chain[-1].id} is incremental but its parent is gone from the catalog"
            )
        chain.append(parent)
    for member in chain:
        _require_completed(member)
    return list(reversed(chain))


def links_of(chain: list[Backup]) -> list[Link]:
    return [Link(Path(b.path or ""), b.checksum) for b in chain]


def list_backups(dbsession: Session, **filters: Any) -> Any:
    """The select statement of the catalog list (filters: ``type``, ``status``)."""
    stmt = select(Backup)
    for name in ("type", "status"):
        if filters.get(name):
            stmt = stmt.where(getattr(Backup, name) == filters[name])
    return stmt
