"""``thebot-create-backup production.ini --type=full|incremental``, or ``--list``.

Runs the backup in this process (no worker needed), with progress on a terminal. The work
manages its own short transactions (the catalog record must show progress while the dump
runs), so it is not wrapped in ``env['request'].tm``.
"""

from __future__ import annotations

import sys
from typing import Any

from thebot.scripts.common import fail, parser
from thebot.scripts.console import open_app

LIST_HINT = "thebot-create-backup INI --list shows the backups and their ids"


def describe(record: Any) -> str:
    size = f"{record.size:,} bytes" if record.size is not None else "-"
    verified = record.verify_status or "not verified"
    return (
        f"#{record.id:<5} {record.type:<11} {record.status:<9} "
        f"{record.created_at:%Y-%m-%d %H:%M:%S}Z  {size:>18}  {verified:<12} "
        f"{record.path or ''}"
    )


def print_list(registry: Any) -> None:
    from sqlalchemy import select

    from thebot.backups.models import Backup
    from thebot.backups.service import catalog

    with catalog(registry) as session:
        records = session.execute(select(Backup).order_by(Backup.id)).scalars().all()
        if not records:
            print("no backups")
        for record in records:
            print(describe(record))


def main(argv: list[str] | None = None) -> int:
    p = parser("Back up the database and MEDIA_ROOT (full or incremental), or list backups.")
    p.add_argument(
        "--type",
        choices=("full", "incremental"),
        default="full",
        help="full (default), or only the changes since the newest backup",
    )
    p.add_argument("--list", action="store_true", help="list the backups and exit")
    args = p.parse_args(argv)
    with open_app(args) as env:
        from thebot.backups.engine.format import BackupError
        from thebot.backups.operations import create_backup
        from thebot.backups.progress import TerminalProgress
        from thebot.backups.service import catalog, request_backup

        registry = env["registry"]
        if args.list:
            print_list(registry)
            return 0
        try:
            with catalog(registry) as session:
                backup_id = request_backup(session, args.type).id
        except BackupError as exc:
            return fail(f"cannot start the {args.type} backup: {exc}", 1)
        terminal = TerminalProgress()
        try:
            record = create_backup(env["request"], backup_id, terminal)
        finally:
            terminal.done()
        if record.status != "completed":
            return fail(f"backup #{record.id} failed: {record.error}", 1)
        print(f"backup #{record.id} ({record.type}) completed: {record.path}")
        print(f"  {record.size:,} bytes, sha256 {record.checksum}")
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
