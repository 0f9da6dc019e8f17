"""``thebot-migrate production.ini [revision] [--check]``: apply the packaged alembic
migrations, or only report the migration state.

Exit status: 0 done (or, with ``--check``, at head); 1 with ``--check`` when the database is
not at head; 2 when the ini cannot be read or the database refuses the connection (role,
password, database name); 3 when the database does not answer.
"""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy.engine import Connection

from thebot.db.migrate import current_revision, upgrade
from thebot.scripts import preflight
from thebot.scripts.common import parser, read_settings
from thebot.scripts.console import check_ini, operator_errors


def main(argv: list[str] | None = None) -> int:
    p = parser("Upgrade the database schema (alembic) to the given revision, default head.")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument(
        "--check",
        action="store_true",
        help="only report the database's revision and the head; exit 1 when not at head",
    )
    args = p.parse_args(argv)
    with operator_errors(args):
        check_ini(args.config_uri)
        settings = read_settings(args.config_uri)
        with preflight.database_connection(settings) as conn:
            if args.check:
                return check(conn)
            return migrate(settings, conn, args.revision)


def check(conn: Connection) -> int:
    state = preflight.migration_state(conn)
    print(f"{preflight.server_version(conn)}: {state.describe()}")
    return 0 if state.at_head else 1


def migrate(settings: dict[str, Any], conn: Connection, revision: str) -> int:
    state = preflight.migration_state(conn)
    if revision in ("head", "heads") and state.at_head:
        print(f"database already at {state.current} (head): nothing to migrate")
        return 0
    conn.rollback()  # end the read above: the upgrade runs in a transaction of its own
    with conn.begin():
        upgrade(settings, revision, connection=conn)
    after = current_revision(conn)
    if after == state.current:
        print(f"database already at {after or 'empty'}: nothing to migrate")
    else:
        print(f"database migrated: {state.current or 'empty'} -> {after}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
