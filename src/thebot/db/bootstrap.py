"""First-start work: apply migrations when ``auto_migrate`` is on (development).

In debug mode, a database without any user also gets the demo accounts (one per role), whose
random passwords are printed once on the ``pserve`` console (stderr): a fresh checkout can log in
straight away, and nothing is ever printed again once someone exists.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from thebot.db.migrate import upgrade

log = logging.getLogger(__name__)


def includeme(config: Any) -> None:
    settings = config.get_settings()
    if not settings["auto_migrate"]:
        return
    engine = config.registry["dbengine"]
    with engine.begin() as connection:
        upgrade(settings, connection=connection)
    log.info("database migrated to head")
    if settings["debug"]:
        create_first_accounts(config.registry)


def create_first_accounts(registry: Any) -> bool:
    """Demo accounts for an empty development database; ``True`` when they were created."""
    from thebot.accounts.users.demo import (
        banner,
        create_demo_accounts,
        credentials_table,
        has_users,
    )

    with registry["dbsession_factory"]() as dbsession, dbsession.begin():
        if has_users(dbsession):
            return False
        result = create_demo_accounts(dbsession)
        lines = credentials_table(result)
    log.info("empty development database: created %d demo accounts", len(result.created))
    # The console of pserve is where a developer looks; the log may be shipped elsewhere.
    # stderr: stdout stays clean for programs that load the app (get_app, scripts' output).
    print(
        banner(
            "THE_BOT development first start: demo accounts (shown once, not stored)",
            [*lines, "", "Log in with POST /api/auth/login/ using a username and password."],
        ),
        file=sys.stderr,
        flush=True,
    )
    return True
