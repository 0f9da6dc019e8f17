"""Restore from archive files that are not in this installation's catalog.

Moving a development install to production is: copy the archives (a full backup and the
incrementals after it) next to each other on the new host, and run
``thebot-restore-backup production.ini --file=<newest archive>``. The chain is found by the
parent file names recorded in each manifest; after the restore the archives appear in the
catalog as ``imported`` backups (never a base for incrementals: they come from another
database).

It sits beside ``operations`` and ``service`` rather than in ``engine`` (the archive format and
the table copy, which know no catalog): it records the imported archives in the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select

from thebot.audit import audit
from thebot.backups.engine.archive import ArchiveReader, sha256_file
from thebot.backups.engine.format import BackupError, CorruptArchive
from thebot.backups.engine.manifest import summary
from thebot.backups.engine.restore import Link, database_revision, open_chain, restore_chain
from thebot.backups.models import Backup, BackupOrigin, BackupStatus, RestoreStatus
from thebot.backups.progress import Progress, fanout, scaled
from thebot.backups.service import Config, catalog, operation_lock
from thebot.db import utcnow


def chain_from_file(path: Path) -> list[Link]:
    """The archives leading to ``path``, root first; parents are looked up beside it."""
    links: list[Link] = []
    current, expected = path.resolve(), None
    seen = set()
    while True:
        if current in seen or not current.is_file():
            raise BackupError(
                f"archive {current} is missing (needed by {links[-1].path.name})"
                if links
                else f"archive {current} is missing"
            )
        seen.add(current)
        with ArchiveReader(current) as reader:
            parent = reader.manifest["parent"]
        links.append(Link(current, expected))
        if parent is None:
            return list(reversed(links))
        current, expected = current.parent / parent["file"], parent["sha256"]


def _imported_rows(
    saved: list[dict[str, Any]], readers: list[ArchiveReader], now: Any
) -> list[dict[str, Any]]:
    known = {row["uuid"]: row for row in saved}
    next_id = max((row["id"] for row in saved), default=0) + 1
    columns = [c.name for c in Backup.__table__.columns]
    rows = []
    parent_id = None
    for reader in readers:
        manifest = reader.manifest
        if reader.id in known:
            parent_id = known[reader.id]["id"]
            continue
        row: dict[str, Any] = dict.fromkeys(columns)
        row.update(
            id=next_id,
            uuid=reader.id,
            type=manifest["type"],
            origin=BackupOrigin.IMPORTED.value,
            status=BackupStatus.COMPLETED.value,
            progress=100,
            message="imported",
            parent_id=parent_id,
            extendable=False,
            path=str(reader.path),
            size=reader.path.stat().st_size,
            checksum=reader.sha256,
            format_version=manifest["format_version"],
            app_version=manifest["app_version"],
            alembic_revision=manifest["alembic_revision"],
            summary=summary(manifest),
            verify_progress=0,
            verify_details={},
            restore_progress=0,
            restore_details={},
            created_at=now,
            completed_at=now,
            updated_at=now,
        )
        rows.append(row)
        parent_id = next_id
        next_id += 1
    return rows


def catalog_id_of(registry: Any, path: Path, links: list[Link]) -> int | None:
    """The catalog id of the archive at ``path`` if this installation made it, else ``None``."""
    with ArchiveReader(links[-1].path) as reader:
        target_uuid = reader.id
    with catalog(registry) as session:
        if not inspect(session.connection()).has_table(Backup.__tablename__):
            return None
        known = session.execute(select(Backup).where(Backup.uuid == target_uuid)).scalar()
        if known is None:
            return None
        if known.checksum != sha256_file(links[-1].path)[0]:
            raise CorruptArchive(
                f"{path.name} carries the id of backup #{known.id} but not its content"
            )
        return known.id


def import_chain(
    request: Any,
    path: Path,
    links: list[Link],
    *,
    requested_by: int | None = None,
    safety_backup: Callable[[Any, int | None, str, Progress], int] | None = None,
    progress: Progress | None = None,
) -> Backup:
    """Restore the chain ``links`` (ending at ``path``), none of it in the catalog; returns
    the catalog record of that archive. Called by ``operations.restore`` only (it announces
    the replaced data, and passes ``operations.safety_backup`` unless told to skip it)."""
    registry = request.registry
    with ArchiveReader(links[-1].path) as reader:
        target_uuid = reader.id
    config = Config.from_settings(registry.settings)
    engine = registry["dbengine"]
    report = fanout(progress)
    with operation_lock(config.directory):
        readers = open_chain(links, progress=scaled(report, 0.0, 0.15, "checking: "))
        try:
            with engine.connect() as conn:
                has_schema = database_revision(conn) is not None
            safety_id = None
            if safety_backup is not None and has_schema:
                safety_id = safety_backup(
                    request, requested_by, path.name, scaled(report, 0.15, 0.45, "safety backup: ")
                )
            now = utcnow()

            def add_imported(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
                for row in rows:
                    row["extendable"] = False
                imported = _imported_rows(rows, readers, now)
                imported[-1].update(
                    restore_status=RestoreStatus.COMPLETED.value,
                    restore_progress=100,
                    restored_at=now,
                )
                return rows + imported

            details = restore_chain(
                engine,
                readers,
                settings=registry.settings,
                media_root=config.media_root,
                catalog_rows=add_imported,
                progress=scaled(report, 0.45, 1.0),
            )
        finally:
            for reader in readers:
                reader.close()
    with catalog(registry) as session:
        record = session.execute(select(Backup).where(Backup.uuid == target_uuid)).scalar_one()
        record.restore_details = {**details, "safety_backup_id": safety_id, "file": str(path)}
        audit(
            request,
            "backup.restored",
            dbsession=session,
            target_type="backup",
            target_id=record.id,
            file=str(path),
            safety_backup_id=safety_id,
        )
        return record
