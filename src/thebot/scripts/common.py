"""Shared pieces of the console scripts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pyramid.paster import get_appsettings

from thebot.scripts.console import setup_script_logging
from thebot.settings import ConfigurationError, load_settings


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("config_uri", help="the ini file, e.g. production.ini")
    p.add_argument(
        "--verbose", action="store_true", help="print the traceback of an error, not one line"
    )
    return p


def read_settings(config_uri: str, logging: bool = True) -> dict[str, Any]:
    """The coerced settings of ``[app:main]`` (environment variables win)."""
    if logging:
        setup_script_logging(config_uri)
    return load_settings(get_appsettings(config_uri, name="main"))


def fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


def bootstrap_app(config_uri: str) -> dict[str, Any]:
    """``pyramid.paster.bootstrap`` with configuration errors printed, not raised.

    ``thebot.scripts.console.open_app`` does more (database and Redis outages too, the
    traceback only with ``--verbose``); scripts use it.
    """
    from pyramid.paster import bootstrap

    from thebot.scripts.console import ScriptProblem, check_ini

    try:
        check_ini(config_uri)
        setup_script_logging(config_uri)
        return bootstrap(config_uri)
    except ScriptProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(exc.problem.code) from None
    except ConfigurationError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from exc
