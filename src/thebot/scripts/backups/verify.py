"""``thebot-verify-backup production.ini --backup-id=ID``: checksums, manifest, trial restore.

Exit status 0 when the backup passed, 1 when it failed (the reason is printed and stored on
the backup record).
"""

from __future__ import annotations

import sys

from thebot.scripts.backups.create import LIST_HINT
from thebot.scripts.common import fail, parser
from thebot.scripts.console import open_app


def main(argv: list[str] | None = None) -> int:
    p = parser("Verify a backup: checksums, manifest and a trial restore into a scratch database.")
    p.epilog = LIST_HINT
    p.add_argument("--backup-id", type=int, required=True, help=f"the backup's id ({LIST_HINT})")
    args = p.parse_args(argv)
    with open_app(args) as env:
        from thebot.backups.engine.format import BackupError
        from thebot.backups.operations import verify_backup
        from thebot.backups.progress import TerminalProgress

        terminal = TerminalProgress()
        try:
            record = verify_backup(env["request"], args.backup_id, terminal)
        except BackupError as exc:
            return fail(str(exc), 1)
        finally:
            terminal.done()
        if record.verify_status != "passed":
            return fail(f"backup #{record.id} FAILED verification: {record.verify_error}", 1)
        details = record.verify_details
        print(
            f"backup #{record.id} passed: {details['tables']} tables, {details['rows']:,} rows, "
            f"{details['media_files']} media files; trial restore "
            f"{details['trial_restore']['seconds']} s"
        )
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
