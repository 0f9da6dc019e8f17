"""``thebot-heartbeat production.ini --component worker|scheduler``: the container healthcheck.

Exit 0 when a ``thebot-worker`` (or ``thebot-scheduler``) on this host has recorded a
heartbeat within ``HEARTBEAT_TIMEOUT`` seconds; 1 when none has (not running, hung, or the
database unreachable, which it needs too); 2 for a configuration problem. One line either
way. It reads the settings and the ``heartbeat`` table only: it does not build the app.
"""

from __future__ import annotations

import socket
import sys

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from thebot.db import get_engine, utcnow
from thebot.scripts.common import fail, parser, read_settings
from thebot.settings import ConfigurationError
from thebot.system.heartbeats import KINDS, recent

OK, STALE, CONFIG = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    p = parser(
        "Exit 0 if a worker or scheduler on this host has a fresh heartbeat, 1 if not "
        "(a docker healthcheck for the worker and scheduler containers)."
    )
    p.add_argument("--component", required=True, choices=KINDS, help="which process to check")
    p.add_argument(
        "--max-age", type=float, help="seconds a heartbeat stays fresh (default HEARTBEAT_TIMEOUT)"
    )
    p.add_argument(
        "--host", default=socket.gethostname(), help="whose heartbeat (default: this host)"
    )
    args = p.parse_args(argv)
    try:
        settings = read_settings(args.config_uri, logging=False)
    except ConfigurationError as exc:
        return fail(str(exc), CONFIG)
    except (OSError, LookupError, ValueError) as exc:  # no such file, no [app:main]
        return fail(f"thebot-heartbeat: cannot read {args.config_uri}: {exc}", CONFIG)
    max_age = args.max_age if args.max_age is not None else settings["heartbeat_timeout"]
    engine = get_engine(settings)
    try:
        with Session(engine) as session:
            seen = [p for p in recent(session, max_age, args.component) if p.host == args.host]
    except SQLAlchemyError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return fail(f"thebot-heartbeat: database unavailable: {reason}", STALE)
    finally:
        engine.dispose()
    now = utcnow()
    live = [p for p in seen if p.live]
    if live:
        newest = live[0]
        ago = (now - newest.last_seen).total_seconds()
        print(
            f"{args.component} heartbeat fresh: pid {newest.pid} on {args.host}, "
            f"{ago:.0f} s ago ({newest.state})"
        )
        return OK
    if seen:
        ago = (now - seen[0].last_seen).total_seconds()
        detail = f"the newest is {ago:.0f} s old (limit {max_age:g} s)"
    else:
        detail = "none in the last hour"
    return fail(f"no fresh {args.component} heartbeat on {args.host}: {detail}", STALE)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
