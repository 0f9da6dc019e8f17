"""What an operator sees when a console script cannot do its work: one line, an exit status.

A missing or unreadable ini file, a database or Redis that does not answer, a role or a
database that does not exist, a directory the process may not write: each is reported as
one line on stderr naming the problem and the setting to fix, with exit status 2 (fix the
configuration) or 3 (a service is down: start it, or fix where the configuration points).
The traceback is printed only with ``--verbose`` (``common.parser`` adds the option).
Anything else is a bug and keeps its traceback.

Usage in a script::

    args = parser("What it does.").parse_args(argv)
    with open_app(args) as env:          # the ini checked, bootstrapped, closed at the end
        ...                              # the work: an outage here is reported the same way
    return 0

or, when only the settings are needed::

    with operator_errors(args):
        settings = read_settings(args.config_uri)
"""

from __future__ import annotations

import argparse
import configparser
import os
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from thebot.settings import ConfigurationError

CONFIG = 2  # exit status: fix the configuration (or the file it names)
DOWN = 3  # exit status: a service the configuration points at does not answer
INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One line for the operator and the exit status that goes with it."""

    message: str
    code: int = CONFIG


class ScriptProblem(Exception):
    """Raised by checks that already know what to tell the operator."""

    def __init__(self, message: str, code: int = CONFIG):
        super().__init__(message)
        self.problem = Problem(message, code)


def ini_path(config_uri: str) -> str | None:
    """The file behind ``config_uri`` (``production.ini#main`` too), or None for a URI."""
    if "://" in config_uri:
        return None
    return config_uri.split("#", 1)[0]


def check_ini(config_uri: str) -> None:
    """Raise ``ScriptProblem`` unless ``config_uri`` names a readable ini with ``[app:main]``."""
    path = ini_path(config_uri)
    if path is None:
        return
    hint = "pass the path of your ini file (thebot-init-config DIR writes one)"
    if os.path.isdir(path):
        raise ScriptProblem(
            f"config file {path!r} is a directory: pass the ini file in it, "
            f"e.g. {os.path.join(path, 'production.ini')}"
        )
    if not os.path.exists(path):
        raise ScriptProblem(f"config file {path!r} does not exist: {hint}")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(path, encoding="utf-8") as fh:
            parser.read_file(fh)
    except PermissionError:
        raise ScriptProblem(
            f"config file {path!r} is not readable by this user: fix its permissions"
        ) from None
    except (configparser.Error, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        raise ScriptProblem(f"config file {path!r} is not a valid ini file ({first})") from None
    if not parser.has_section("app:main"):
        raise ScriptProblem(
            f"config file {path!r} has no [app:main] section: {hint}, "
            "e.g. development.ini or production.ini"
        )


def _setting(settings: dict[str, Any] | None, part: str) -> str:
    """``DB_USER`` when that override is in use, else ``DATABASE_URL``."""
    name = f"db_{part}"
    if settings and settings.get(name):
        return name.upper()
    return "DATABASE_URL"


def _database(settings: dict[str, Any] | None) -> str:
    url = (settings or {}).get("sqlalchemy.url")
    return f" at {url.render_as_string(hide_password=True)}" if url is not None else ""


def _quoted(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    return match.group(1) if match else "?"


def _database_problem(exc: Exception, settings: dict[str, Any] | None) -> Problem | None:
    from sqlalchemy import exc as sa

    if not isinstance(exc, sa.DBAPIError):
        return None
    text = str(getattr(exc, "orig", None) or exc)
    lower = text.lower()
    where = _database(settings)
    if re.search(r'role "[^"]+" does not exist', text):
        role = _quoted(r'role "([^"]+)"', text)
        return Problem(
            f"the database{where} has no role {role!r}: create it "
            f"(CREATE ROLE ... LOGIN) or fix {_setting(settings, 'user')}"
        )
    if "password authentication failed" in lower or "no password supplied" in lower:
        user = _quoted(r'for user "([^"]+)"', text)
        setting = "DB_PASSWORD" if (settings or {}).get("db_password") else "DATABASE_URL"
        return Problem(f"the database{where} refused the password of {user!r}: fix {setting}")
    if re.search(r'database "[^"]+" does not exist', text):
        name = _quoted(r'database "([^"]+)"', text)
        return Problem(
            f"the database {name!r} does not exist on the server: create it "
            f"(CREATE DATABASE ...) or fix {_setting(settings, 'name')}"
        )
    if "unable to open database file" in lower:
        return Problem(
            f"the SQLite database{where} cannot be opened (missing directory or no write "
            "permission): fix DATABASE_URL or the directory"
        )
    missing = re.search(r'relation "([^"]+)" does not exist|no such table: (\w+)', text)
    if missing:
        return Problem(
            f"the database{where} has no table {(missing.group(1) or missing.group(2))!r}: "
            "run thebot-migrate with this ini first"
        )
    if isinstance(exc, (sa.OperationalError, sa.InterfaceError)):
        reason = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        reason = re.sub(r"^connection failed: ", "", reason)
        return Problem(
            f"the database{where} does not answer ({reason}): start PostgreSQL or fix "
            f"{_setting(settings, 'host')}",
            DOWN,
        )
    return None


def _redis_problem(exc: Exception, settings: dict[str, Any] | None) -> Problem | None:
    try:
        from redis import exceptions as redis
    except ImportError:  # pragma: no cover - redis is a dependency
        return None
    url = (settings or {}).get("redis_url")
    where = f" at {_hide_password(url)}" if url else ""
    if isinstance(exc, redis.AuthenticationError):
        return Problem(f"Redis{where} refused the password: fix the password in REDIS_URL")
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Problem(f"Redis{where} does not answer ({reason}): start it or fix REDIS_URL", DOWN)
    return None


def _hide_password(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def _path_problem(exc: Exception, settings: dict[str, Any] | None) -> Problem | None:
    if not isinstance(exc, (PermissionError, FileNotFoundError, NotADirectoryError)):
        return None
    path = getattr(exc, "filename", None)
    if not path:
        return None
    setting = ""
    for name in ("backup_dir", "media_root", "log_dir", "mail_dir"):
        root = (settings or {}).get(name)
        if root and os.path.abspath(str(path)).startswith(os.path.abspath(str(root))):
            setting = name.upper()
            break
    fix = f" or fix {setting}" if setting else ""
    if isinstance(exc, PermissionError):
        return Problem(f"no permission to use {path}: give this user access{fix}")
    return Problem(f"{path} does not exist: create it{fix}")


def diagnose(exc: BaseException, settings: dict[str, Any] | None = None) -> Problem | None:
    """The operator's problem behind ``exc``, or None for a bug (keep the traceback)."""
    if isinstance(exc, ScriptProblem):
        return exc.problem
    if isinstance(exc, ConfigurationError):
        return Problem(str(exc))
    if isinstance(exc, KeyboardInterrupt):
        return Problem("interrupted", INTERRUPTED)
    if not isinstance(exc, Exception):
        return None
    for check in (_database_problem, _redis_problem, _path_problem):
        problem = check(exc, settings)
        if problem is not None:
            return problem
    return None


def _quiet_settings(config_uri: str | None) -> dict[str, Any] | None:
    """The settings, for naming what failed; None when they cannot be read either."""
    if not config_uri:
        return None
    try:
        from pyramid.paster import get_appsettings

        from thebot.settings import load_settings

        return load_settings(get_appsettings(config_uri, name="main"))
    except Exception:
        return None


def report(problem: Problem, exc: BaseException, verbose: bool) -> None:
    if verbose:
        traceback.print_exception(exc)
    sys.stderr.write(f"error: {problem.message}\n")
    sys.stderr.flush()


@contextmanager
def operator_errors(args: argparse.Namespace | None = None) -> Iterator[None]:
    """Report an operator's problem raised inside as one line and exit with its status.

    ``args`` supplies ``verbose`` (print the traceback too) and ``config_uri`` (to name the
    database or Redis that failed). A bug propagates with its traceback.
    """
    try:
        yield
    except (Exception, KeyboardInterrupt) as exc:
        config_uri = getattr(args, "config_uri", None)
        settings = None if isinstance(exc, ScriptProblem) else _quiet_settings(config_uri)
        problem = diagnose(exc, settings)
        if problem is None:
            raise
        report(problem, exc, bool(getattr(args, "verbose", False)))
        raise SystemExit(problem.code) from None


def setup_script_logging(config_uri: str) -> None:
    """Logging from the ini's sections, without the third-party start-up noise."""
    from pyramid.paster import setup_logging

    from thebot import quiet_noisy_loggers

    setup_logging(config_uri)
    quiet_noisy_loggers()


@contextmanager
def open_app(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """``pyramid.paster.bootstrap(args.config_uri)`` for a script's work, then close it.

    The ini is checked first; logging is set up from it; problems inside (while starting or
    while working) are reported by ``operator_errors``.
    """
    from pyramid.paster import bootstrap

    with operator_errors(args):
        check_ini(args.config_uri)
        setup_script_logging(args.config_uri)
        env = bootstrap(args.config_uri)
        try:
            yield env
        finally:
            env["closer"]()
