"""The long-running work behind actors and console scripts: create, verify, restore.

Each takes the ``request`` prepared for an actor or a script (``request.registry`` gives the
settings, the engine and the session factory) and a backup id. The catalog is updated in
short committed transactions (so progress is visible while the work runs); the data work
runs on its own connection. Failures are stored on the record, audited and logged; the
record is returned either way.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from thebot import __version__
from thebot.audit import audit
from thebot.backups.engine import capture
from thebot.backups.engine.dump import Parent, write_backup
from thebot.backups.engine.format import BackupError
from thebot.backups.engine.manifest import summary
from thebot.backups.engine.restore import (
    code_revision,
    database_revision,
    open_chain,
    restore_chain,
)
from thebot.backups.engine.verify import verify_chain
from thebot.backups.models import (
    Backup,
    BackupOrigin,
    BackupStatus,
    BackupType,
    RestoreStatus,
    VerifyStatus,
)
from thebot.backups.progress import Progress, RecordProgress, fanout, scaled
from thebot.backups.service import (
    Config,
    catalog,
    chain_of,
    links_of,
    new_record,
    operation_lock,
)
from thebot.db import utcnow
from thebot.events import DataReplaced, dispatch

log = logging.getLogger(__name__)


def _audit(request: Any, session: Any, action: str, backup_id: int, **details: Any) -> None:
    audit(request, action, dbsession=session, target_type="backup", target_id=backup_id, **details)


def _load(session: Any, backup_id: int) -> Backup:
    """The catalog record ``backup_id`` (a ``BackupError`` when it is gone)."""
    record = session.get(Backup, backup_id)
    if record is None:
        raise BackupError(f"there is no backup #{backup_id}")
    return record


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, BackupError):
        return str(exc)
    log.error("backup operation failed", exc_info=exc)
    # The first line only: driver errors go on with the SQL and its values (row data).
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"internal error ({type(exc).__name__}): {first}; see the worker log"


# --- create -------------------------------------------------------------------------------


def _parent_of(session: Any, record: Backup) -> Parent | None:
    if record.type != BackupType.INCREMENTAL.value:
        return None
    parent = record.parent
    if parent is None or not parent.extendable or parent.change_point is None:
        raise BackupError("the parent backup can no longer be extended: take a full backup")
    if parent.alembic_revision != code_revision():
        raise BackupError("the schema changed since the parent backup: take a full backup")
    if not parent.path or not Path(parent.path).is_file():
        raise BackupError(f"the archive of backup #{parent.id} is missing: take a full backup")
    chain = chain_of(session, parent)
    return Parent(
        id=parent.uuid,
        path=Path(parent.path or ""),
        sha256=parent.checksum or "",
        point=parent.change_point,
        chain=[b.uuid for b in chain[:-1]],
    )


def _run_create(request: Any, backup_id: int, config: Config, progress: Progress) -> None:
    registry = request.registry
    tables = capture.backup_tables()
    with catalog(registry) as session:
        record = _load(session, backup_id)
        parent = _parent_of(session, record)
        kind, archive_id, created_at = record.type, record.uuid, record.created_at
        # Committed before the snapshot starts: every later change is logged.
        capture.ensure_capture(session.connection(), tables)
    engine = registry["dbengine"]
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            revision = database_revision(conn)
            if revision != code_revision():
                raise BackupError(
                    f"the database is at schema revision {revision}, the code at "
                    f"{code_revision()}: run thebot-migrate first"
                )
            result = write_backup(
                conn,
                directory=config.directory,
                kind=kind,
                archive_id=archive_id,
                created_at=created_at,
                revision=revision,
                app_version=__version__,
                tables=tables,
                media_root=config.media_root,
                parent=parent,
                progress=progress,
            )
    with catalog(registry) as session:
        record = _load(session, backup_id)
        record.status = BackupStatus.COMPLETED.value
        record.progress = 100
        record.message = "completed"
        record.path = str(result.path)
        record.size = result.size
        record.checksum = result.sha256
        record.format_version = result.manifest["format_version"]
        record.app_version = __version__
        record.alembic_revision = revision
        record.change_point = result.point
        record.summary = summary(result.manifest)
        record.completed_at = utcnow()
        capture.prune_changes(session.connection(), result.point)
        _audit(
            request,
            session,
            "backup.created",
            backup_id,
            type=kind,
            size=result.size,
            origin=record.origin,
            rows=result.rows,
        )


def _start(registry: Any, backup_id: int) -> Backup:
    with catalog(registry) as session:
        record = _load(session, backup_id)
        if record.status != BackupStatus.PENDING.value:
            raise BackupError(f"backup #{backup_id} is {record.status}, not pending")
        record.status = BackupStatus.RUNNING.value
        record.started_at = utcnow()
        record.message = "starting"
        return record


def _fail_create(request: Any, backup_id: int, exc: BaseException) -> None:
    with catalog(request.registry) as session:
        record = _load(session, backup_id)
        record.status = BackupStatus.FAILED.value
        record.error = _error_text(exc)
        record.message = "failed"
        record.completed_at = utcnow()
        _audit(request, session, "backup.failed", backup_id, error=record.error)


def create_backup(
    request: Any, backup_id: int, progress: Progress | None = None, *, locked: bool = False
) -> Backup:
    """Run a pending backup to completed or failed; ``locked``: the caller holds the lock."""
    registry = request.registry
    config = Config.from_settings(registry.settings)
    _start(registry, backup_id)
    report = fanout(RecordProgress(registry, backup_id), progress)
    try:
        if locked:
            _run_create(request, backup_id, config, report)
        else:
            with operation_lock(config.directory):
                _run_create(request, backup_id, config, report)
    except Exception as exc:
        _fail_create(request, backup_id, exc)
    with catalog(registry) as session:
        return _load(session, backup_id)


# --- verify -------------------------------------------------------------------------------


def verify_backup(request: Any, backup_id: int, progress: Progress | None = None) -> Backup:
    """Check a completed backup's chain and trial-restore it; the result goes on the record."""
    registry = request.registry
    config = Config.from_settings(registry.settings)
    with catalog(registry) as session:
        record = _load(session, backup_id)
        record.verify_status = VerifyStatus.RUNNING.value
        record.verify_progress = 0
    report = fanout(RecordProgress(registry, backup_id, "verify_progress"), progress)
    try:
        with catalog(registry) as session:
            links = links_of(chain_of(session, _load(session, backup_id)))
        details = verify_chain(
            links, settings=registry.settings, scratch_root=config.directory, progress=report
        )
        status, error = VerifyStatus.PASSED.value, None
    except Exception as exc:
        details, status, error = {}, VerifyStatus.FAILED.value, _error_text(exc)
    with catalog(registry) as session:
        record = _load(session, backup_id)
        record.verify_status = status
        record.verify_progress = 100
        record.verify_error = error
        record.verify_details = details
        record.verified_at = utcnow()
        _audit(request, session, "backup.verified", backup_id, result=status, error=error)
        return record


# --- restore ------------------------------------------------------------------------------


def safety_backup(request: Any, requested_by: int | None, label: str, report: Progress) -> int:
    """A full backup of the current state, taken before a restore replaces it."""
    with catalog(request.registry) as session:
        safety = new_record(
            session,
            BackupType.FULL.value,
            origin=BackupOrigin.SAFETY.value,
            created_by=requested_by,
            message=f"safety backup before restoring {label}",
        )
    done = create_backup(request, safety.id, report, locked=True)
    if done.status != BackupStatus.COMPLETED.value:
        raise BackupError(
            f"the safety backup #{safety.id} failed ({done.error}); nothing restored"
        )
    return safety.id


def restore(
    request: Any,
    *,
    backup_id: int | None = None,
    path: Path | None = None,
    requested_by: int | None = None,
    safety: bool = True,
    progress: Progress | None = None,
) -> Backup:
    """The one restore path: every caller (the API's actor, ``thebot-restore-backup`` with
    ``--backup-id`` or ``--file``) comes through here.

    Restores the catalog's backup ``backup_id``, or the archive chain ending at ``path``
    (an archive this catalog already holds is restored as that backup). Once the restored
    data is committed, ``DataReplaced`` is announced: whatever a process derived from the
    old data (cached dashboards...) is stale, whichever way the data came in. A failed
    restore (recorded on the backup, or raised as ``BackupError``) announces nothing.
    The restore commits on sessions of its own, so the event goes straight to the
    after-commit phase of the event path (``thebot.events.dispatch``: a failing subscriber
    is logged, and the restore still reports its success).
    """
    if (backup_id is None) == (path is None):
        raise ValueError("restore needs exactly one of backup_id and path")
    from thebot.backups.importing import catalog_id_of, chain_from_file, import_chain

    registry = request.registry
    if path is not None:
        links = chain_from_file(path)
        backup_id = catalog_id_of(registry, path, links)
        if backup_id is None:
            record = import_chain(
                request,
                path,
                links,
                requested_by=requested_by,
                safety_backup=safety_backup if safety else None,
                progress=progress,
            )
            dispatch(registry, DataReplaced(f"archive {path.name} restored"))
            return record
    if backup_id is None:  # pragma: no cover - excluded by the check above
        raise ValueError("restore needs exactly one of backup_id and path")
    record = _restore_catalog(
        request, backup_id, requested_by=requested_by, safety=safety, progress=progress
    )
    if record.restore_status == RestoreStatus.COMPLETED.value:
        dispatch(registry, DataReplaced(f"backup #{backup_id} restored"))
    return record


def _restore_catalog(
    request: Any,
    backup_id: int,
    *,
    requested_by: int | None,
    safety: bool,
    progress: Progress | None,
) -> Backup:
    """Replace the database and ``MEDIA_ROOT`` with the state at ``backup_id``.

    A safety backup of the current state is taken first (unless the database is empty or
    ``safety`` is false). The restored database keeps the catalog, and every backup in it
    stops being a base for incrementals (the next backup of the new state must be full).
    """
    registry = request.registry
    config = Config.from_settings(registry.settings)
    engine = registry["dbengine"]
    with catalog(registry) as session:
        record = _load(session, backup_id)
        record.restore_status = RestoreStatus.RUNNING.value
        record.restore_progress = 0
        record.restore_error = None
    # Nothing may write to the catalog once the restore transaction holds the tables
    # (from 0.45 + 0.55 * 0.3 on: restore_chain's media staging ends at 0.3 of its range).
    report = fanout(RecordProgress(registry, backup_id, "restore_progress", until=0.6), progress)
    safety_id = None
    try:
        with operation_lock(config.directory):
            # The archives are checked first: a damaged backup costs no safety backup.
            with catalog(registry) as session:
                links = links_of(chain_of(session, _load(session, backup_id)))
            readers = open_chain(links, progress=scaled(report, 0.0, 0.15, "checking: "))
            try:
                with engine.connect() as conn:
                    has_schema = database_revision(conn) is not None
                if safety and has_schema:
                    safety_id = safety_backup(
                        request,
                        requested_by,
                        f"#{backup_id}",
                        scaled(report, 0.15, 0.45, "safety backup: "),
                    )
                restored_at = utcnow()

                def keep_catalog(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
                    for row in rows:
                        row["extendable"] = False
                        if row["id"] == backup_id:
                            row.update(
                                restore_status=RestoreStatus.COMPLETED.value,
                                restore_progress=100,
                                restored_at=restored_at,
                            )
                    return rows

                details = restore_chain(
                    engine,
                    readers,
                    settings=registry.settings,
                    media_root=config.media_root,
                    catalog_rows=keep_catalog,
                    progress=scaled(report, 0.45, 1.0),
                )
            finally:
                for reader in readers:
                    reader.close()
    except Exception as exc:
        with catalog(registry) as session:
            record = _load(session, backup_id)
            record.restore_status = RestoreStatus.FAILED.value
            record.restore_error = _error_text(exc)
            record.restore_details = {"safety_backup_id": safety_id}
            _audit(
                request,
                session,
                "backup.restore_failed",
                backup_id,
                error=record.restore_error,
                safety_backup_id=safety_id,
            )
            return record
    with catalog(registry) as session:
        from thebot.accounts.models import User

        record = _load(session, backup_id)
        record.restore_details = {**details, "safety_backup_id": safety_id}
        actor = requested_by if requested_by and session.get(User, requested_by) else None
        audit(
            request,
            "backup.restored",
            actor=actor,
            dbsession=session,
            target_type="backup",
            target_id=backup_id,
            safety_backup_id=safety_id,
            requested_by=requested_by,
            archives=details["archives"],
        )
    return record
