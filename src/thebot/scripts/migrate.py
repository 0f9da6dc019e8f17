"""``thebot-migrate production.ini [revision]``: apply the packaged alembic migrations."""

from __future__ import annotations

import sys

from thebot.db import get_engine
from thebot.db.migrate import current_revision, head_revision, upgrade
from thebot.scripts.common import fail, parser, read_settings
from thebot.settings import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    p = parser("Upgrade the database schema (alembic) to the given revision, default head.")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument(
        "--check", action="store_true", help="only report whether migrations are pending"
    )
    args = p.parse_args(argv)
    try:
        settings = read_settings(args.config_uri)
    except ConfigurationError as exc:
        return fail(str(exc))
    engine = get_engine(settings)
    try:
        with engine.begin() as conn:
            before = current_revision(conn)
            if args.check:
                head = head_revision()
                print(f"database at {before or 'empty'}, code at {head}")
                return 0 if before == head else 1
            upgrade(settings, args.revision, connection=conn)
            after = current_revision(conn)
    finally:
        engine.dispose()
    print(f"database migrated: {before or 'empty'} -> {after}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
