"""``thebot-restore-backup production.ini --backup-id=ID [--yes]`` (or ``--file=ARCHIVE``).

Replaces every table and ``MEDIA_ROOT`` with the state at that backup, after a safety
backup of the current state. A backup from a newer schema revision is refused; an older one
is migrated forward after loading. ``--file`` restores archives copied from another
installation (the chain's parents must sit beside the file). Asks for confirmation unless
``--yes``; without a terminal, ``--yes`` is required.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from thebot.scripts.backups.create import LIST_HINT
from thebot.scripts.common import fail, parser
from thebot.scripts.console import open_app


def confirm(registry: Any, what: str, yes: bool) -> int | None:
    """``None`` to go on, or the exit status to stop with."""
    if yes:
        return None
    url = registry.settings["sqlalchemy.url"].render_as_string(hide_password=True)
    print(
        f"This REPLACES ALL DATA in {url} and every file in {registry.settings['media_root']}\n"
        f"with {what}. A safety backup of the current state is taken first."
    )
    if not sys.stdin.isatty():
        return fail("refusing to restore without confirmation: add --yes", 2)
    answer = input("Type 'yes' to restore: ")
    if answer.strip().lower() != "yes":
        return fail("restore cancelled", 1)
    return None


def main(argv: list[str] | None = None) -> int:
    p = parser("Restore a backup (database and MEDIA_ROOT), after a safety backup.")
    source = p.add_mutually_exclusive_group(required=True)
    p.epilog = LIST_HINT
    source.add_argument("--backup-id", type=int, help=f"the backup's id ({LIST_HINT})")
    source.add_argument("--file", type=Path, help="an archive copied from another installation")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = p.parse_args(argv)
    with open_app(args) as env:
        from thebot.backups.engine.format import BackupError
        from thebot.backups.models import Backup
        from thebot.backups.operations import restore
        from thebot.backups.progress import TerminalProgress
        from thebot.backups.service import catalog

        registry = env["registry"]
        if args.file is not None:
            what = f"the backup chain ending at {args.file}"
        else:
            with catalog(registry) as session:
                record = session.get(Backup, args.backup_id)
                if record is None:
                    return fail(f"there is no backup #{args.backup_id}", 1)
                what = f"backup #{record.id} ({record.type}, {record.created_at:%Y-%m-%d %H:%M}Z)"
        stop = confirm(registry, what, args.yes)
        if stop is not None:
            return stop
        terminal = TerminalProgress()
        try:
            # The one restore path: it announces DataReplaced (dashboards forgotten...).
            record = restore(
                env["request"], backup_id=args.backup_id, path=args.file, progress=terminal
            )
        except BackupError as exc:
            return fail(f"restore failed, nothing was changed: {exc}", 1)
        finally:
            terminal.done()
        if record.restore_status != "completed":
            return fail(f"restore failed, nothing was changed: {record.restore_error}", 1)
        details = record.restore_details
        print(
            f"restored backup #{record.id}: {details['rows']:,} rows, "
            f"{details['media_files']} media files in {details['seconds']} s"
        )
        if details.get("migrated_to"):
            print(f"  migrated from revision {details['revision']} to {details['migrated_to']}")
        if details.get("safety_backup_id"):
            print(f"  the previous state is in safety backup #{details['safety_backup_id']}")
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
