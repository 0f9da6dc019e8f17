"""Transactional outbox: task messages are rows first, broker messages after the commit.

``thebot.tasks.enqueue`` writes the Dramatiq message into ``outbox`` with the request's own
session, so it commits or aborts with the data it is about (an aborted request sends
nothing, a worker never reads rows that do not exist yet). After the commit the web process
relays the transaction's rows to the broker and deletes them. What the broker refused stays
in the table and is retried, with exponential backoff, on later commits of the same process
and by the ``thebot.tasks.outbox.relay`` job of ``thebot-scheduler``, until the broker takes it.

A row can be relayed twice (the broker took it, then deleting the row failed; two relays
raced). Actors are therefore idempotent by message id: ``claim`` records the id in
``processed_message`` inside the actor's transaction, and a second delivery finds it there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dramatiq
from sqlalchemy import JSON, Integer, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from thebot.db import Base, UTCDateTime, utcnow
from thebot.outages import OUTAGES

log = logging.getLogger(__name__)

BROKER = "broker"
RELAY_BATCH = 100
BACKOFF_MAX_SECONDS = 60.0
PROCESSED_RETENTION = dt.timedelta(days=7)
RELAY_JOB_SECONDS = 10
TABLES = frozenset({"outbox", "processed_message"})  # machinery: never in a backup


class OutboxMessage(Base):
    """A task message written in the transaction that asked for it, waiting for the broker."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    # dramatiq.Message.asdict(): queue, actor, args, kwargs, options, id, timestamp
    message: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ProcessedMessage(Base):
    """A message an actor has run (committed): a second delivery of it is skipped."""

    __tablename__ = "processed_message"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    processed_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )


def write(
    dbsession: Session, message: dramatiq.Message, delay_ms: int | None = None
) -> OutboxMessage:
    """Add ``message`` to the outbox in ``dbsession``'s transaction."""
    now = utcnow()
    row = OutboxMessage(
        message_id=message.message_id,
        actor=message.actor_name,
        message=message.asdict(),
        created_at=now,
        due_at=now + dt.timedelta(milliseconds=delay_ms) if delay_ms else None,
    )
    dbsession.add(row)
    return row


@dataclass
class RelayResult:
    sent: int = 0
    failed: bool = False
    more: bool = False  # the batch was full: rows may be left


_IN_PROCESS = threading.RLock()


def in_process_guard(registry: Any) -> Any:
    """With the ``stub`` broker (tests) the actors run in this process's threads on the
    test's one database connection: a relay still writing after the broker took a message
    and the actor running it take turns. Any other broker (``inprocess`` included: its
    actors use connections of their own): no lock."""
    broker = registry.get("task_broker")
    if getattr(broker, "thebot_kind", None) == "stub":
        return _IN_PROCESS
    return contextlib.nullcontext()


def _write_session(registry: Any) -> Session:
    session = registry["dbsession_factory"]()
    if session.get_bind().dialect.name == "sqlite":
        # Take SQLite's write lock first (see thebot.db): this transaction deletes.
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    return session


def relay(
    registry: Any, message_ids: Iterable[str] | None = None, limit: int = RELAY_BATCH
) -> RelayResult:
    """Send outbox rows (these ids, or the oldest ``limit``) to the broker; delete the sent.

    Rows another relay holds are skipped (``SKIP LOCKED`` on PostgreSQL). The broker is asked
    before the rows are deleted: a failure in between leaves a duplicate, never a loss.
    """
    broker = registry["task_broker"]
    result = RelayResult()
    query = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
    if message_ids is not None:
        ids = list(message_ids)
        if not ids:
            return result
        query = query.where(OutboxMessage.message_id.in_(ids))
    with in_process_guard(registry):
        return _relay(registry, broker, query, message_ids is None, limit)


def _relay(registry: Any, broker: Any, query: Any, backlog: bool, limit: int) -> RelayResult:
    result = RelayResult()
    sent: list[int] = []
    session = _write_session(registry)
    try:
        rows = session.scalars(query.with_for_update(skip_locked=True)).all()
        result.more = backlog and len(rows) == limit
        for row in rows:
            try:
                broker.enqueue(dramatiq.Message(**row.message), delay=_remaining_ms(row))
            except Exception as exc:  # the broker is down: the rest waits with this one
                OUTAGES.failed(BROKER, exc, f"{len(rows) - len(sent)} message(s) kept in outbox")
                result.failed = True
                break
            sent.append(row.id)
        if sent:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(sent)))
        session.commit()
        result.sent = len(sent)
    finally:
        session.close()
    if sent and not result.failed:
        OUTAGES.recovered(BROKER)
    return result


def _remaining_ms(row: OutboxMessage) -> int | None:
    if row.due_at is None:
        return None
    remaining = (row.due_at - utcnow()).total_seconds() * 1000
    return int(remaining) if remaining >= 1 else None


class Relay:
    """The web process' relay: after each commit, with backoff while the broker is down."""

    def __init__(self, registry: Any, clock: Any = time.monotonic):
        self.registry = registry
        self.clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self.next_try = 0.0
        self.backlog = True  # rows may be left by an earlier process: look once

    def waiting(self) -> bool:
        """The broker failed recently: do not ask it again before the backoff passes."""
        return self.failures > 0 and self.clock() < self.next_try

    def _record(self, result: RelayResult) -> None:
        with self._lock:
            if result.failed:
                self.failures += 1
                delay = min(BACKOFF_MAX_SECONDS, 2.0 ** (self.failures - 1))
                self.next_try = self.clock() + delay
                self.backlog = True
            else:
                self.failures = 0

    def after_commit(self, message_ids: list[str]) -> None:
        """Relay one transaction's messages, then any backlog (each step skipped in backoff)."""
        if self.waiting():
            return
        try:
            if message_ids:
                result = relay(self.registry, message_ids)
                self._record(result)
                if result.failed:
                    return
            if self.backlog:
                self.drain()
        except Exception:  # the request has committed: never fail it after the fact
            log.exception("outbox relay failed; the rows stay for the next attempt")

    def drain(self, force: bool = False) -> int:
        """Relay the backlog in batches until it is empty or the broker fails."""
        sent = 0
        while force or not self.waiting():
            force = False
            result = relay(self.registry)
            self._record(result)
            sent += result.sent
            if result.failed:
                break
            if not result.more:
                self.backlog = False
                break
        return sent


def get_relay(registry: Any) -> Relay:
    relay_ = registry.get("outbox_relay")
    if relay_ is None:
        relay_ = registry["outbox_relay"] = Relay(registry)
    return relay_


def after_commit_hook(registry: Any, transaction: Any, message_id: str) -> None:
    """Collect the transaction's message ids; one hook relays them all after the commit."""
    key = (__name__, "ids")
    try:
        ids = transaction.data(key)
    except KeyError:
        ids = []
        transaction.set_data(key, ids)

        def hook(success: bool) -> None:
            if success:
                get_relay(registry).after_commit(ids)

        transaction.addAfterCommitHook(hook)
    ids.append(message_id)


def relay_job(registry: Any) -> None:
    """``thebot-scheduler``: relay what the web processes could not, prune processed ids."""
    try:
        sent = get_relay(registry).drain(force=True)  # the job's interval is its pace
        if sent:
            log.info("outbox: relayed %d waiting message(s)", sent)
        with in_process_guard(registry):
            prune_processed(registry)
    except Exception as exc:  # the database is down too: the next run tries again
        OUTAGES.failed("outbox relay", exc)
    else:
        OUTAGES.recovered("outbox relay")


def prune_processed(registry: Any, now: dt.datetime | None = None) -> int:
    session = registry["dbsession_factory"]()
    try:
        cutoff = (now or utcnow()) - PROCESSED_RETENTION
        count = session.execute(
            delete(ProcessedMessage).where(ProcessedMessage.processed_at < cutoff)
        ).rowcount
        session.commit()
        return int(count or 0)
    finally:
        session.close()


def claim(dbsession: Session, message_id: str, actor: str) -> bool:
    """Record ``message_id`` as processed in ``dbsession``'s transaction; ``False`` if it was.

    Concurrent deliveries of one id queue on the primary key: the second sees the first's
    row once it commits (``IntegrityError``), or nothing if it rolled back.
    """
    if dbsession.get(ProcessedMessage, message_id) is not None:
        return False
    try:
        with dbsession.begin_nested():
            dbsession.add(ProcessedMessage(message_id=message_id, actor=actor))
    except IntegrityError:
        return False
    return True


def forget(dbsession: Session, message_id: str) -> None:
    dbsession.execute(delete(ProcessedMessage).where(ProcessedMessage.message_id == message_id))
