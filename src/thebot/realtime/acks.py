"""Acknowledged outbox rows: the events the hub has taken, deleted from ``outbox`` in batches.

After a commit the web process publishes the transaction's real-time events to the hub, then
the outbox rows that carried them can go. Deleting them one transaction at a time (a session,
``BEGIN``, ``DELETE``, ``COMMIT`` per request) was a tenth of the CPU of a chat message POST;
here the ids wait up to ``REALTIME_OUTBOX_ACK_MS`` (or until ``BATCH`` of them) and one
thread of the process deletes them together.

Why nothing is lost and nothing reaches a socket twice:

- A row is deleted only *after* the hub took its event. If the process dies in between, the
  row stays and ``thebot-scheduler``'s outbox relay hands it to the broker; the
  ``realtime.publish`` actor appends it again.
- The hub de-duplicates by the event's ``uid`` (the outbox message id) within the replay
  window, so an event published twice (the relay caught the row before its delete, the delete
  failed, the process died) is appended once.
- A failed delete is logged and dropped: those rows take the path above.

``REALTIME_OUTBOX_ACK_MS = 0``, and the ``stub`` broker of the tests (whose relays and actors
share one database connection and must not run in another thread), delete in the committing
thread right after the publish, as before.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from sqlalchemy import delete

from thebot.tasks import outbox

log = logging.getLogger(__name__)

BATCH = 500  # ids per DELETE (and the count that does not wait for the delay)
REGISTRY_KEY = "realtime_outbox_acks"


class Acks:
    """Outbox message ids to delete, in batches, by one daemon thread of this process."""

    def __init__(self, registry: Any, delay: float) -> None:
        self.registry = registry
        self.delay = delay
        self._ids: list[str] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, message_ids: list[str]) -> None:
        """These rows' events are in the hub: delete the rows (now, or with the next batch)."""
        if self.delay <= 0:
            delete_rows(self.registry, message_ids)
            return
        with self._wake:
            self._ids.extend(message_ids)
            self._ensure_thread()
            if len(self._ids) == len(message_ids) or len(self._ids) >= BATCH:
                self._wake.notify()

    def flush(self) -> int:
        """Delete what waits, in this thread (tests; shutdown); the count of ids."""
        with self._wake:
            ids, self._ids = self._ids, []
        delete_rows(self.registry, ids)
        return len(ids)

    def _ensure_thread(self) -> None:
        # a forked worker inherits the object but not the thread
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="thebot-realtime-acks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._ids:
                    self._wake.wait()
                deadline = time.monotonic() + self.delay
                while len(self._ids) < BATCH:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                ids, self._ids = self._ids, []
            delete_rows(self.registry, ids)


def delete_rows(registry: Any, message_ids: list[str]) -> None:
    """Delete these outbox rows (their events are in the hub); a failure is logged only."""
    if not message_ids:
        return
    try:
        with outbox.in_process_guard(registry):
            session = registry["dbsession_factory"]()
            try:
                if session.get_bind().dialect.name == "sqlite":  # the write lock first
                    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
                for start in range(0, len(message_ids), BATCH):
                    chunk = message_ids[start : start + BATCH]
                    session.execute(
                        delete(outbox.OutboxMessage).where(
                            outbox.OutboxMessage.message_id.in_(chunk)
                        )
                    )
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
    except Exception:  # the rows stay: the outbox relay sends them again, the hub skips them
        log.exception("could not delete %d published outbox row(s)", len(message_ids))


def get_acks(registry: Any) -> Acks:
    acks = registry.get(REGISTRY_KEY)
    if acks is None:
        delay = registry.settings.get("realtime_outbox_ack_ms", 0) / 1000
        broker = registry.get("task_broker")
        if getattr(broker, "thebot_kind", None) == "stub":
            delay = 0.0
        acks = registry[REGISTRY_KEY] = Acks(registry, delay)
    return acks
