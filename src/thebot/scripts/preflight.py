"""Live pre-flight checks (``thebot-check-config --live``, ``thebot-migrate --check``): connect
to the database and Redis with the configured timeouts, read the migration state, try the
directories. The checks change nothing: no table, file or folder is created (an SQLite
file that does not exist yet is reported, not opened)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from thebot.db import get_engine
from thebot.scripts import console

OK, WARNING, ERROR, DOWN = "ok", "warning", "error", "down"
EXIT_PROBLEMS = 1
DIRECTORIES = (
    ("media_root", "MEDIA_ROOT"),
    ("backup_dir", "BACKUP_DIR"),
    ("log_dir", "LOG_DIR"),
    ("mail_dir", "MAIL_DIR"),
)


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``down`` is a service that does not answer at all."""

    status: str
    text: str

    def line(self) -> str:
        label = {OK: "OK", WARNING: "WARNING", ERROR: "ERROR", DOWN: "ERROR"}[self.status]
        return f"{label}: {self.text}"


def exit_code(findings: list[Finding]) -> int:
    """3 when a service is down, 1 on any other error, 0 otherwise."""
    if any(f.status == DOWN for f in findings):
        return console.DOWN
    if any(f.status == ERROR for f in findings):
        return EXIT_PROBLEMS
    return 0


# -- database ---------------------------------------------------------------------------


def describe_database(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return f"{where} as {url.username}" if url.username else where


@contextmanager
def database_connection(settings: dict[str, Any]) -> Iterator[Connection]:
    """A connection opened with the configured ``DB_CONNECT_TIMEOUT``; the engine is
    disposed of afterwards. A failure to connect raises the driver's error."""
    engine = get_engine(settings)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def problem_finding(exc: Exception, settings: dict[str, Any]) -> Finding:
    """An outage or a refusal as a finding, in the words of the other console scripts."""
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if isinstance(exc, DBAPIError) and "SSL" in text:  # it answered: not an outage
        url = settings["sqlalchemy.url"].render_as_string(hide_password=True)
        return Finding(
            ERROR,
            f"the database at {url} answered, but not in the TLS mode asked for "
            f"({text.rsplit('failed: ', 1)[-1]}): fix DB_SSLMODE or the server's TLS set-up",
        )
    problem = console.diagnose(exc, settings)
    if problem is None:  # not an operator's problem: a bug, keep its traceback
        raise exc
    return Finding(DOWN if problem.code == console.DOWN else ERROR, problem.message)


def server_version(conn: Connection) -> str:
    name = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(conn.dialect.name)
    if conn.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    info = conn.dialect.server_version_info or ()
    return f"{name or conn.dialect.name} {'.'.join(str(part) for part in info)}".strip()


@dataclass(frozen=True)
class MigrationState:
    current: str | None
    head: str | None
    pending: int | None  # None: the database is at a revision this code does not know

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        at = f"at {self.current}" if self.current else "empty (no migration applied)"
        if self.at_head:
            return f"database {at} (head)"
        if self.pending is None:
            return (
                f"database {at}, which this release does not know (head is {self.head}): "
                "it was migrated by a newer release"
            )
        return (
            f"database {at}, head is {self.head}: {self.pending} migration(s) pending; "
            "run thebot-migrate"
        )


def migration_state(conn: Connection) -> MigrationState:
    from alembic.script import ScriptDirectory
    from alembic.script.revision import ResolutionError

    from thebot.db.migrate import alembic_config, current_revision

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    current = current_revision(conn)
    if current == head:
        return MigrationState(current, head, 0)
    try:
        pending = len(list(script.iterate_revisions(head, current or "base")))
    except ResolutionError:  # a revision this release has no script of
        return MigrationState(current, head, None)
    return MigrationState(current, head, pending)


def migration_finding(state: MigrationState) -> Finding:
    return Finding(OK if state.at_head else ERROR, f"migrations: {state.describe()}")


def check_database(settings: dict[str, Any]) -> list[Finding]:
    url = settings["sqlalchemy.url"]
    sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if sqlite_file and not os.path.exists(url.database):  # connecting would create the file
        return [
            Finding(WARNING, f"database: SQLite file {url.database} does not exist yet"),
            Finding(ERROR, "migrations: database empty: run thebot-migrate"),
        ]
    try:
        with database_connection(settings) as conn:
            version = server_version(conn)
            state = migration_state(conn)
    except DBAPIError as exc:
        return [problem_finding(exc, settings)]
    return [
        Finding(OK, f"database: {version} at {describe_database(url)}"),
        migration_finding(state),
    ]


# -- redis --------------------------------------------------------------------------------


def hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def check_redis(settings: dict[str, Any]) -> list[Finding]:
    import redis

    url = settings.get("redis_url")
    if not url:
        return [Finding(WARNING, "redis: REDIS_URL is unset, nothing to connect to")]
    timeout = settings["redis_timeout"]
    shown = hide_password(url)
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        info = client.info("server")
    except redis.RedisError as exc:
        if console.diagnose(exc, settings) is not None:  # down, or the password refused
            return [problem_finding(exc, settings)]
        return [Finding(ERROR, f"Redis at {shown} answered with an error: {exc}: fix REDIS_URL")]
    finally:
        client.close()
    return [Finding(OK, f"redis: Redis {info.get('redis_version', '?')} at {shown}")]


# -- directories --------------------------------------------------------------------------


def _existing_ancestor(path: str) -> str:
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_directory(env: str, path: str) -> Finding:
    """Whether this process can write files in ``path`` (tried with a temporary file)."""
    absolute = os.path.abspath(path)
    if os.path.exists(absolute):
        if not os.path.isdir(absolute):
            return Finding(ERROR, f"{env} {absolute} is not a directory")
        try:
            with tempfile.TemporaryFile(dir=absolute, prefix=".thebot-check-"):
                pass
        except OSError as exc:
            return Finding(ERROR, f"{env} {absolute} is not writable: {exc.strerror}")
        return Finding(OK, f"{env} {absolute} is writable")
    ancestor = _existing_ancestor(absolute)
    if os.path.isdir(ancestor) and os.access(ancestor, os.W_OK | os.X_OK):
        return Finding(
            WARNING, f"{env} {absolute} does not exist yet; it can be created in {ancestor}"
        )
    return Finding(
        ERROR, f"{env} {absolute} does not exist and cannot be created ({ancestor} is read-only)"
    )


def check_directories(settings: dict[str, Any]) -> list[Finding]:
    findings = []
    for name, env in DIRECTORIES:
        value = settings.get(name)
        if not value or (name == "mail_dir" and settings.get("smtp_host")):
            continue  # LOG_DIR unset: console only; MAIL_DIR unused with an SMTP server
        findings.append(check_directory(env, value))
    return findings


def live_checks(settings: dict[str, Any]) -> list[Finding]:
    """Everything ``--live`` reports, in order: database and migrations, Redis, directories."""
    return check_database(settings) + check_redis(settings) + check_directories(settings)
