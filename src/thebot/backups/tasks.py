"""Backup actors: the API's create/verify/restore, the schedule, and retention.

All run on the ``backups`` queue (long jobs do not hold up email), are never retried (a
failed backup is recorded, and the next one is a fresh attempt) and may run for hours.
"""

from __future__ import annotations

from typing import Any

from thebot.backups.operations import create_backup, restore, verify_backup
from thebot.backups.schedule import run_retention, scheduled_backup
from thebot.tasks import task

# dedupe="claim": the operations commit on sessions of their own (thebot.tasks).
OPTIONS: dict[str, Any] = {
    "queue": "backups",
    "max_retries": 0,
    "time_limit": 12 * 3600 * 1000,
    "dedupe": "claim",
}


@task("backups.create", **OPTIONS)
def create(request: Any, backup_id: int) -> None:
    create_backup(request, backup_id)


@task("backups.verify", **OPTIONS)
def verify(request: Any, backup_id: int) -> None:
    verify_backup(request, backup_id)


@task("backups.restore", **OPTIONS)
def restore_task(request: Any, backup_id: int, requested_by: int | None = None) -> None:
    restore(request, backup_id=backup_id, requested_by=requested_by)


@task("backups.scheduled_full", **OPTIONS)
def scheduled_full(request: Any) -> None:
    scheduled_backup(request, "full")


@task("backups.scheduled_incremental", **OPTIONS)
def scheduled_incremental(request: Any) -> None:
    scheduled_backup(request, "incremental")


@task("backups.retention", **OPTIONS)
def retention(request: Any) -> None:
    run_retention(request)
