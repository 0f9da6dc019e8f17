"""Backups: full and incremental archives of every table and ``MEDIA_ROOT``; verify; restore.

The format is documented in ``thebot.backups.engine.format``; change capture (how incrementals see
deletions and bulk updates) in ``thebot.backups.engine.capture``; restore in
``thebot.backups.engine.restore``.
"""

from __future__ import annotations

from typing import Any

RETENTION_INTERVAL = 3600  # seconds between retention runs


def includeme(config: Any) -> None:
    from thebot.backups.schedule import cron_of

    settings = config.get_settings()
    if settings.get("backup_full_time") is not None:
        config.add_periodic_task(
            "backups.scheduled_full", cron=cron_of(settings["backup_full_time"])
        )
    if (settings.get("backup_incremental_interval") or 0) > 0:
        config.add_periodic_task(
            "backups.scheduled_incremental", seconds=settings["backup_incremental_interval"]
        )
    config.add_periodic_task("backups.retention", seconds=RETENTION_INTERVAL)
    config.scan("thebot.backups")
