"""Retention: which backups to delete, and deleting them (archive files and records).

A chain is a full backup with the incrementals built on it; chains are kept or deleted
whole (an incremental is useless without its ancestors). A chain is kept when it is one of
the newest ``BACKUP_KEEP_CHAINS``, or any of its backups is younger than
``BACKUP_KEEP_DAYS``, or a backup of it is being created, verified or restored. If no kept
chain has a verified full backup, the newest chain whose full backup passed verification is
kept as well: retention never deletes the only verified full backup. Failed records older
than ``BACKUP_KEEP_DAYS`` go too; interrupted ones (pending or running for longer than
``STALE_AFTER``) are marked failed first.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.backups.models import Backup, BackupStatus, BackupType, RestoreStatus, VerifyStatus
from thebot.backups.service import ACTIVE, STALE_AFTER
from thebot.db import utcnow

log = logging.getLogger(__name__)
BUSY = (
    VerifyStatus.PENDING.value,
    VerifyStatus.RUNNING.value,
    RestoreStatus.PENDING.value,
    RestoreStatus.RUNNING.value,
)


def _root(backup: Backup, by_id: dict[int, Backup]) -> Backup | None:
    seen = set()
    while backup.type == BackupType.INCREMENTAL.value:
        if backup.parent_id is None or backup.parent_id in seen:
            return None
        seen.add(backup.parent_id)
        parent = by_id.get(backup.parent_id)
        if parent is None:
            return None
        backup = parent
    return backup


def plan(
    backups: list[Backup], *, keep_chains: int, keep_days: int, now: dt.datetime
) -> list[Backup]:
    """The backups to delete, children before parents."""
    by_id = {b.id: b for b in backups}
    chains: dict[int, list[Backup]] = {}
    orphans = []
    for backup in backups:
        if backup.status == BackupStatus.FAILED.value:
            continue
        root = _root(backup, by_id)
        if root is None:
            orphans.append(backup)
        else:
            chains.setdefault(root.id, []).append(backup)
    young = now - dt.timedelta(days=keep_days)
    newest_first = sorted(chains, key=lambda root_id: by_id[root_id].created_at, reverse=True)
    keep = set(newest_first[: max(0, keep_chains)])
    for root_id, members in chains.items():
        if any(
            m.created_at >= young
            or m.status in ACTIVE
            or m.verify_status in BUSY
            or m.restore_status in BUSY
            for m in members
        ):
            keep.add(root_id)
    verified = [r for r in newest_first if by_id[r].verify_status == VerifyStatus.PASSED.value]
    if verified and not keep & set(verified):
        keep.add(verified[0])
    doomed = [m for root_id, members in chains.items() if root_id not in keep for m in members]
    doomed += [
        b
        for b in backups
        if b.created_at < young
        and (b.status == BackupStatus.FAILED.value or b in orphans)
        and b.status not in ACTIVE
    ]
    # Children (higher ids) before their parents: the parent foreign key stays satisfied.
    return sorted({b.id: b for b in doomed}.values(), key=lambda b: b.id, reverse=True)


def mark_interrupted(session: Session, now: dt.datetime) -> list[int]:
    """Pending/running records nobody touched for ``STALE_AFTER`` become failed."""
    stale = session.execute(
        select(Backup).where(Backup.status.in_(ACTIVE), Backup.updated_at < now - STALE_AFTER)
    ).scalars()
    ids = []
    for backup in stale:
        backup.status = BackupStatus.FAILED.value
        backup.error = "interrupted: no progress for a long time (worker stopped?)"
        ids.append(backup.id)
    return ids


LEFTOVERS = (".verify-*", ".*.staging", ".*.partial")


def sweep_leftovers(directory: Path, now: dt.datetime) -> list[str]:
    """Scratch files of interrupted work (verify databases, half-written archives)."""
    import shutil

    cutoff = (now - STALE_AFTER).timestamp()
    removed = []
    for pattern in LEFTOVERS:
        for path in directory.glob(pattern):
            if path.stat().st_mtime >= cutoff:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path.name)
    return removed


def apply(session: Session, settings: dict[str, Any]) -> dict[str, Any]:
    """Delete what ``plan`` selects; returns what was done."""
    now = utcnow()
    interrupted = mark_interrupted(session, now)
    session.flush()
    backups = list(session.execute(select(Backup)).scalars())
    doomed = plan(
        backups,
        keep_chains=settings["backup_keep_chains"],
        keep_days=settings["backup_keep_days"],
        now=now,
    )
    gone = {b.id for b in doomed}
    for backup in backups:  # a kept record (a young failed one) must not point at a deleted one
        if backup.id not in gone and backup.parent_id in gone:
            backup.parent_id = None
    session.flush()
    freed = 0
    for backup in doomed:
        if backup.path:
            path = Path(backup.path)
            try:
                freed += path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                log.warning("backup #%s: archive %s was already gone", backup.id, path)
        session.delete(backup)
        session.flush()
    directory = Path(settings["backup_dir"]).resolve()
    return {
        "deleted": [b.id for b in doomed],
        "bytes_freed": freed,
        "interrupted": interrupted,
        "leftovers": sweep_leftovers(directory, now) if directory.is_dir() else [],
    }
