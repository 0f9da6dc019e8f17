"""The one-scheduler lock: a second ``thebot-scheduler`` on the same database refuses to start.

PostgreSQL: a session-level advisory lock held on a connection of the scheduler's own for
its whole life; the server releases it when the process dies or the connection drops, so a
crashed scheduler never blocks its restart. (A pooler in transaction mode, such as
PgBouncer's ``pool_mode = transaction``, cannot hold session locks: point the scheduler at
the server or a session-mode pool.) SQLite: an exclusive ``flock`` on a file next to the
database, released by the operating system the same way.

The database rather than Redis: the scheduler needs the database for its outbox relay
anyway, and keeps its lock (and relays) while Redis is down.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

LOCK_NAME = "thebot-scheduler"


def advisory_key(name: str) -> int:
    """A stable positive 63-bit key for ``pg_try_advisory_lock``."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class LockUnsupported(RuntimeError):
    """No lock for this database backend."""


class SchedulerLock:
    """``acquire()`` once at start-up; ``held()`` now and then; ``release()`` at the end."""

    def __init__(self, engine: Engine, name: str = LOCK_NAME):
        self.engine = engine
        self.name = name
        self.backend = engine.dialect.name
        if self.backend not in ("postgresql", "sqlite"):
            raise LockUnsupported(f"no scheduler lock for the {self.backend} backend")
        self._conn: Connection | None = None
        self._fd: int | None = None

    # --- PostgreSQL -------------------------------------------------------------------
    def _pg_acquire(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(self.name)}
                ).scalar()
            )
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _pg_held(self) -> bool:
        if self._conn is None:
            return False
        key = advisory_key(self.name)
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted AND objsubid = 1 "
                    "AND classid::bigint = :high AND objid::bigint = :low"
                ),
                {"high": key >> 32, "low": key & 0xFFFFFFFF},
            ).scalar()
        except Exception:  # the connection is gone, and the lock with it
            self._drop_connection()
            return False
        return bool(held)

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.invalidate()
                conn.close()

    # --- SQLite -----------------------------------------------------------------------
    def lock_path(self) -> str:
        database = self.engine.url.database
        if database in (None, "", ":memory:"):
            tag = hashlib.sha256(str(self.engine.url).encode()).hexdigest()[:12]
            return os.path.join(tempfile.gettempdir(), f"{self.name}-{tag}.lock")
        return f"{os.path.abspath(database)}.{self.name}.lock"

    def _file_acquire(self) -> bool:
        import fcntl

        fd = os.open(self.lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    # --- both -------------------------------------------------------------------------
    def acquire(self) -> bool:
        """Take the lock if it is free; ``False`` when another scheduler holds it."""
        if self.backend == "postgresql":
            return self._pg_acquire()
        return self._file_acquire()

    def held(self) -> bool:
        """Still ours (PostgreSQL: the connection may have dropped, taking the lock)."""
        if self.backend == "postgresql":
            return self._pg_held()
        return self._fd is not None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)}
                )
                self._conn.close()
            except Exception:  # closing the connection releases it anyway
                self._drop_connection()
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> SchedulerLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
