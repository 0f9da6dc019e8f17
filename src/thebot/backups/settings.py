"""Settings of the backups feature (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_bool

SETTINGS: tuple[S, ...] = (
    # backups (their coercers live in thebot.backups.schedule, imported only when used)
    S(
        "backup_dir",
        "BACKUP_DIR",
        "backups",
        str,
        "Directory of backup archives; every worker must see the same one.",
        "absolute path",
    ),
    S(
        "backup_full_time",
        "BACKUP_FULL_TIME",
        "02:30",
        lambda v: __import__("thebot.backups.schedule", fromlist=["_"]).as_time_of_day(v),
        "UTC time ``HH:MM`` of the daily scheduled full backup; ``off`` disables it.",
    ),
    S(
        "backup_incremental_interval",
        "BACKUP_INCREMENTAL_INTERVAL",
        3600,
        lambda v: __import__("thebot.backups.schedule", fromlist=["_"]).as_count(v),
        "Seconds between scheduled incremental backups; ``0`` disables them.",
    ),
    S(
        "backup_keep_chains",
        "BACKUP_KEEP_CHAINS",
        7,
        lambda v: __import__("thebot.backups.schedule", fromlist=["_"]).as_count(v),
        "Newest full backups kept, each with its incrementals (retention).",
    ),
    S(
        "backup_keep_days",
        "BACKUP_KEEP_DAYS",
        14,
        lambda v: __import__("thebot.backups.schedule", fromlist=["_"]).as_count(v),
        "Backups younger than this many days are kept, whatever their number.",
    ),
    S(
        "backup_verify_scheduled",
        "BACKUP_VERIFY_SCHEDULED",
        True,
        as_bool,
        "Verify (trial restore) each scheduled full backup right after taking it.",
    ),
)
