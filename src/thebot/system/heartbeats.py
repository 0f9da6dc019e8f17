"""Heartbeats of ``thebot-worker`` and ``thebot-scheduler``: written by those processes, read
by the health endpoint and by ``thebot-heartbeat`` (the container healthcheck).

Each process has a random ``instance`` id and upserts its ``heartbeat`` row every
``heartbeat_interval`` seconds from a daemon thread, with the queues it consumes and its
state (``running``, ``waiting for the task broker``); it deletes the row when it stops
cleanly. A process is *live* while its row is younger than ``heartbeat_timeout`` seconds.
Rows of processes that died are shown for an hour (not live) and pruned after a day.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from thebot.db import utcnow
from thebot.outages import OUTAGES
from thebot.system.models import Heartbeat

log = logging.getLogger(__name__)

WORKER = "worker"
SCHEDULER = "scheduler"
KINDS = (WORKER, SCHEDULER)
SHOWN = dt.timedelta(hours=1)  # dead processes stay visible this long
RETENTION = dt.timedelta(days=1)
RUNNING = "running"
TABLES = frozenset({"heartbeat"})  # machinery: never in a backup (thebot.backups)


@dataclass(frozen=True)
class Seen:
    """One process as its heartbeat shows it."""

    instance: str
    kind: str
    host: str
    pid: int
    queues: list[str]
    state: str
    started_at: dt.datetime
    last_seen: dt.datetime
    live: bool
    in_process: bool = False

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        body: dict[str, Any] = {
            "host": self.host,
            "pid": self.pid,
            "queues": list(self.queues),
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "seconds_ago": round(max(0.0, (now - self.last_seen).total_seconds()), 1),
            "live": self.live,
        }
        if self.in_process:
            body["in_process"] = True
        return body


def beat(
    session: Session,
    *,
    instance: str,
    kind: str,
    queues: Iterable[str] = (),
    state: str = RUNNING,
    host: str | None = None,
    pid: int | None = None,
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Record one heartbeat of ``instance`` in ``session``'s transaction; prune old rows."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    now = now or utcnow()
    row = session.get(Heartbeat, instance)
    if row is None:
        row = Heartbeat(
            instance=instance,
            kind=kind,
            host=host or socket.gethostname(),
            pid=pid if pid is not None else os.getpid(),
            started_at=started_at or now,
        )
        session.add(row)
    row.queues = sorted(queues)
    row.state = state[:64]
    row.last_seen = now
    session.execute(delete(Heartbeat).where(Heartbeat.last_seen < now - RETENTION))
    session.flush()


def forget(session: Session, instance: str) -> None:
    session.execute(delete(Heartbeat).where(Heartbeat.instance == instance))


def recent(
    session: Session,
    timeout_seconds: float,
    kind: str | None = None,
    now: dt.datetime | None = None,
) -> list[Seen]:
    """The processes seen in the last hour, newest first, each marked live or not."""
    now = now or utcnow()
    query = select(Heartbeat).where(Heartbeat.last_seen >= now - SHOWN)
    if kind is not None:
        query = query.where(Heartbeat.kind == kind)
    limit = dt.timedelta(seconds=timeout_seconds)
    return [
        Seen(
            instance=row.instance,
            kind=row.kind,
            host=row.host,
            pid=row.pid,
            queues=list(row.queues or []),
            state=row.state,
            started_at=row.started_at,
            last_seen=row.last_seen,
            live=now - row.last_seen <= limit,
        )
        for row in session.scalars(query.order_by(Heartbeat.last_seen.desc()))
    ]


def fresh_on_host(
    session: Session,
    kind: str,
    host: str,
    timeout_seconds: float,
    now: dt.datetime | None = None,
) -> list[Seen]:
    """The live processes of ``kind`` on ``host`` (the container healthcheck asks this)."""
    return [p for p in recent(session, timeout_seconds, kind, now) if p.host == host and p.live]


class Heartbeats:
    """The process side: a daemon thread recording this process's heartbeat."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        kind: str,
        queues: Iterable[str] = (),
        interval: float = 15.0,
    ):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        self.session_factory = session_factory
        self.kind = kind
        self.queues = sorted(queues)
        self.interval = interval
        self.instance = uuid.uuid4().hex
        self.started_at = utcnow()
        self.state = RUNNING
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def _session(self) -> Session:
        session = self.session_factory()
        if session.get_bind().dialect.name == "sqlite":
            # Take SQLite's write lock first (see thebot.db): this transaction writes.
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        return session

    def beat_once(self) -> bool:
        """Record one heartbeat now; a database failure is logged once per outage."""
        component = f"{self.kind} heartbeat"
        try:
            with self._session() as session:
                beat(
                    session,
                    instance=self.instance,
                    kind=self.kind,
                    queues=self.queues,
                    state=self.state,
                    started_at=self.started_at,
                )
                session.commit()
        except Exception as exc:  # the database is down: the next beat tries again
            OUTAGES.failed(component, exc)
            return False
        OUTAGES.recovered(component)
        return True

    def set_state(self, state: str) -> None:
        """Change the state shown in health; recorded at once."""
        if state != self.state:
            self.state = state
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat_once()
            self._wake.wait(self.interval)
            self._wake.clear()

    def start(self) -> Heartbeats:
        self._thread = threading.Thread(
            target=self._run, name=f"thebot-{self.kind}-heartbeat", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating and delete this process's row (best effort: it ages out otherwise)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            with self._session() as session:
                forget(session, self.instance)
                session.commit()
        except Exception:  # the database is down: the row ages out
            log.info("%s heartbeat row left behind (database unavailable)", self.kind)
