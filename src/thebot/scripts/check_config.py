"""``thebot-check-config production.ini``: the operator's pre-flight check."""

from __future__ import annotations

import sys

from thebot.scripts.common import fail, parser, read_settings
from thebot.settings import ConfigurationError, check_settings


def main(argv: list[str] | None = None) -> int:
    args = parser(
        "Report every configuration problem start-up would refuse, plus warnings."
    ).parse_args(argv)
    try:
        settings = read_settings(args.config_uri, logging=False)
    except ConfigurationError as exc:
        return fail(str(exc))
    errors, warnings = check_settings(settings)
    for warning in warnings:
        print(f"WARNING: {warning}")
    for error in errors:
        print(f"ERROR: {error}")
    if errors:
        print(f"{len(errors)} problem(s): start-up would refuse this configuration.")
        return 1
    print("OK: start-up would accept this configuration.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
