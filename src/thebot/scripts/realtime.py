"""``thebot-realtime production.ini``: the WebSocket gateway (run one or more per host)."""

from __future__ import annotations

import sys
from typing import Any

from thebot.scripts.common import fail, parser, read_settings
from thebot.scripts.console import check_ini, open_app, operator_errors


def ping_redis(settings: dict[str, Any]) -> None:
    """Raise redis' ConnectionError or TimeoutError unless ``REDIS_URL`` answers."""
    import redis

    timeout = settings["redis_timeout"]
    client = redis.Redis.from_url(
        settings["redis_url"], socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        client.ping()
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    p = parser("Serve the WebSocket gateway at /ws/ (events from Redis, see README).")
    p.add_argument("--listen", help="host:port (default: REALTIME_LISTEN)")
    args = p.parse_args(argv)
    with operator_errors(args):
        check_ini(args.config_uri)
        settings = read_settings(args.config_uri)
    from thebot.realtime import hub_kind

    if settings["realtime_in_process"]:
        return fail("REALTIME_IN_PROCESS is on: pserve already runs the gateway.")
    try:
        kind = hub_kind(settings)
    except ValueError as exc:
        return fail(str(exc))
    if kind != "redis":
        return fail(
            "thebot-realtime needs REDIS_URL: the web processes publish events through Redis."
        )
    from thebot.realtime.gateway.runner import run_forever

    with operator_errors(args):
        ping_redis(settings)  # down at start: one line and exit 3, not a timeout traceback
    with open_app(args) as env:
        run_forever(env["registry"], args.listen)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
