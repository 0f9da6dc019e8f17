"""Scheduled backups and retention, and the coercer of the ``BACKUP_FULL_TIME`` setting.

``thebot.settings`` imports ``as_time_of_day`` lazily, so this module must stay cheap to
import (nothing at module level beyond the standard library).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

log = logging.getLogger(__name__)
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DISABLED = {"", "off", "none", "disabled", "false", "no"}


def as_time_of_day(value: Any) -> dt.time | None:
    """``HH:MM`` (UTC) as a ``datetime.time``; ``off`` (or empty) disables the schedule."""
    if isinstance(value, dt.time):
        return value
    text = str(value).strip().lower()
    if text in DISABLED:
        return None
    match = HHMM.match(text)
    if match is None:
        raise ValueError(f"not a time of day HH:MM (UTC) or 'off': {value!r}")
    return dt.time(int(match.group(1)), int(match.group(2)))


def cron_of(time_of_day: dt.time) -> str:
    return f"{time_of_day.minute} {time_of_day.hour} * * *"


def scheduled_backup(request: Any, kind: str) -> Any:
    """Take a scheduled backup (an incremental becomes full when it has no base).

    Skipped, with a log line, while another backup or restore is busy. A scheduled full
    backup is verified right away when ``BACKUP_VERIFY_SCHEDULED`` is on.
    """
    from thebot.backups.models import BackupOrigin, BackupStatus, BackupType
    from thebot.backups.operations import create_backup, verify_backup
    from thebot.backups.service import (
        BackupConflict,
        busy_with,
        catalog,
        incremental_base,
        new_record,
    )

    registry = request.registry
    with catalog(registry) as session:
        running = busy_with(session)
        if running is not None:
            log.info("scheduled %s backup skipped: backup #%s is busy", kind, running.id)
            return None
        parent = None
        if kind == BackupType.INCREMENTAL.value:
            try:
                parent = incremental_base(session)
            except BackupConflict as exc:
                log.info("scheduled incremental backup taken as full: %s", exc)
                kind = BackupType.FULL.value
        record = new_record(session, kind, origin=BackupOrigin.SCHEDULED.value, parent=parent)
        backup_id = record.id
    done = create_backup(request, backup_id)
    if (
        done.type == BackupType.FULL.value
        and done.status == BackupStatus.COMPLETED.value
        and registry.settings["backup_verify_scheduled"]
    ):
        done = verify_backup(request, backup_id)
    return done


def run_retention(request: Any) -> dict[str, Any] | None:
    """Apply the retention settings (skipped while a backup or restore runs)."""
    from thebot.audit import audit
    from thebot.backups import retention
    from thebot.backups.service import BackupConflict, Config, catalog, operation_lock

    registry = request.registry
    config = Config.from_settings(registry.settings)
    try:
        with operation_lock(config.directory), catalog(registry) as session:
            result = retention.apply(session, registry.settings)
            if result["deleted"] or result["interrupted"]:
                audit(request, "backup.pruned", dbsession=session, target_type="backup", **result)
    except BackupConflict:
        log.info("backup retention skipped: a backup or restore is running")
        return None
    log.info("backup retention: %s", result)
    return result


def as_count(value: Any) -> int:
    """A whole number >= 0 (settings: intervals and retention counts)."""
    number = int(str(value).strip())
    if number < 0:
        raise ValueError(f"must be 0 or more: {value!r}")
    return number
