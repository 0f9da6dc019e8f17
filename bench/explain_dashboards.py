"""The SQL behind each uncached dashboard, with its PostgreSQL plan and timing.

    python bench/explain_dashboards.py --database-url postgresql+psycopg://postgres@127.0.0.1/b

On a database seeded by ``bench/learning.py`` (or ``learning_seed.py``; nothing is written
but one API token per role), builds the app with the dashboard cache off, calls each role's
dashboard in process as a user of that role (``--user-index`` picks which: the users are
ordered by id), records every statement the request runs (text and parameters, through the
engine's ``before_cursor_execute``), then runs ``EXPLAIN (ANALYZE, BUFFERS)`` of each with
the same parameters and prints its execution time, the sum per dashboard and, with
``--plans``, the plans (of the statements over ``--slow`` ms, or all with ``--slow 0``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import tempfile
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User

ROLES = ("student", "teacher", "tutor", "parent")


def token_for(engine: Any, role: str, index: int) -> str:
    from thebot.accounts.credentials.tokens import issue_token

    with Session(engine) as session, session.begin():
        users = session.scalars(select(User).where(User.role == role).order_by(User.id)).all()
        return issue_token(session, users[index % len(users)], dt.timedelta(hours=1))[0]


def record(engine: Any) -> tuple[list[tuple[str, Any]], Any]:
    """The SELECTs ``engine`` runs from now on (and the listener, to remove it)."""
    seen: list[tuple[str, Any]] = []

    def listener(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", listener)
    return seen, listener


def explain(engine: Any, statement: str, params: Any) -> tuple[float, str]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.close()
    match = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return (float(match.group(1)) if match else -1.0), plan


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--user-index", type=int, default=7)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--slow", type=float, default=1.0, help="ms: plans printed above this")
    args = parser.parse_args()
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from dogpile.cache import make_region
    from learning import app_settings
    from profile_request import call

    from thebot import main

    with tempfile.TemporaryDirectory() as media:
        app = main({}, **app_settings(args.database_url, None, media))
        app.registry["cache_regions"]["dashboard"] = make_region().configure("dogpile.cache.null")
        engine = app.registry["dbengine"]
        for role in args.roles.split(","):
            token = token_for(engine, role, args.user_index)
            path = f"/api/dashboard/{role}/"
            call(app, path, token)  # warm: statement caches, prepared statements
            seen, listener = record(engine)
            size = call(app, path, token)
            event.remove(engine, "before_cursor_execute", listener)
            out = io.StringIO()
            total = 0.0
            for number, (statement, params) in enumerate(seen, 1):
                ms, plan = explain(engine, statement, params)
                total += ms
                first = " ".join(statement.split())[:110]
                out.write(f"  {number:>2}. {ms:>8.3f} ms  {first}\n")
                if args.plans and ms >= args.slow:
                    out.write("\n".join("        " + line for line in plan.splitlines()) + "\n")
            print(
                f"{role} dashboard: {len(seen)} statements, {total:.2f} ms in PostgreSQL, "
                f"{size} bytes"
            )
            print(out.getvalue())


if __name__ == "__main__":
    cli()
