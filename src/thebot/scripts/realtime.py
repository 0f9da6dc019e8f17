"""``thebot-realtime production.ini``: the WebSocket gateway (run one or more per host)."""

from __future__ import annotations

import sys

from thebot.scripts.common import bootstrap_app, fail, parser, read_settings
from thebot.settings import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    p = parser("Serve the WebSocket gateway at /ws/ (events from Redis, see README).")
    p.add_argument("--listen", help="host:port (default: REALTIME_LISTEN)")
    args = p.parse_args(argv)
    try:
        settings = read_settings(args.config_uri)
    except ConfigurationError as exc:
        return fail(str(exc))
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
    env = bootstrap_app(args.config_uri)
    from thebot.realtime.gateway.runner import run_forever

    try:
        run_forever(env["registry"], args.listen)
    finally:
        env["closer"]()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
