"""Publishing: real-time domain events reach the hub through the transactional outbox.

1. In the transaction (``[Committing, DomainEvent]``), an event marked real-time becomes a
   ``realtime.publish`` task message in the ``outbox`` table, so it commits or aborts with
   the change it reports (an aborted request publishes nothing).
2. Right after the commit, the committing process appends the transaction's events to the
   hub (one round trip), then hands their outbox ids to ``acks``, which deletes the rows in
   batches (a row is deleted only once the hub has its event).
3. When the hub is unreachable (Redis down), the rows stay: the outbox relay hands them to
   the broker (``thebot-scheduler`` retries every 10 s) and the ``realtime.publish`` actor
   appends them once Redis answers again.

An event can thus travel twice (the outbox relay caught its row before the delete, the
delete failed, the process died in between); the hub skips a ``uid`` it has seen within the
replay window, so sockets get it once.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session

from thebot.db import table_of, utcnow
from thebot.events import Committing, DomainEvent, without_savepoint
from thebot.outages import OUTAGES
from thebot.realtime.acks import get_acks
from thebot.realtime.directives import is_realtime
from thebot.realtime.hub import encode
from thebot.tasks import get_actor, outbox

log = logging.getLogger(__name__)

ACTOR = "realtime.publish"
PENDING_KEY = "thebot.realtime.pending"  # session.info / transaction data: staged events
OUTAGE_COMPONENT = "realtime publish"


@dataclass(frozen=True)
class Staged:
    uid: str  # the outbox message id, and the hub's de-duplication key
    user_ids: tuple[int, ...]
    type: str
    data: str


def registry_of(committing: Committing) -> Any:
    request = committing.request
    return request.registry if request is not None else committing.dbsession.info["registry"]


@without_savepoint  # one row: only added to the session, flushed by the commit
def stage(committing: Committing, event: DomainEvent) -> None:
    """In the transaction: write a real-time event to the outbox, relay it after commit."""
    registry = registry_of(committing)
    if not is_realtime(registry, event) or not event.user_ids:
        return
    # An event may carry one payload per user (``publications()``: notifications of many
    # users recorded at once): one outbox row each, written in one flush.
    split = getattr(event, "publications", None)
    parts = split() if split is not None else [(event.user_ids, event.payload())]
    actor = get_actor(registry, ACTOR)
    pending = _pending(registry, committing)
    messages = []
    frame_type = getattr(event, "frame_type", event.name)  # a batch frames as its items
    for user_ids, payload in parts:
        if not user_ids:
            continue
        staged = Staged(uuid.uuid4().hex, tuple(user_ids), frame_type, encode(payload))
        message = actor.message(
            list(staged.user_ids), staged.type, staged.data, time.time(), staged.uid
        )
        messages.append(message.copy(message_id=staged.uid))
        pending.append(staged)
    if len(messages) == 1:
        outbox.write(committing.dbsession, messages[0])
    elif messages:  # one executemany of the table (no ORM pass over each row)
        now = utcnow()
        rows = [
            {
                "message_id": m.message_id,
                "actor": m.actor_name,
                "message": m.asdict(),
                "created_at": now,
                "due_at": None,
            }
            for m in messages
        ]
        with committing.dbsession.begin_nested():  # a failed INSERT leaves the rest
            committing.dbsession.execute(insert(table_of(outbox.OutboxMessage)), rows)


def _pending(registry: Any, committing: Committing) -> list[Staged]:
    """This transaction's staged events; the first one sets the after-commit relay."""
    if committing.request is not None:
        txn = committing.request.tm.get()
        try:
            return txn.data(PENDING_KEY)
        except KeyError:
            staged: list[Staged] = []
            txn.set_data(PENDING_KEY, staged)
            txn.addAfterCommitHook(lambda ok: ok and relay(registry, staged))
            return staged
    return _session_pending(registry, committing.dbsession)


def _session_pending(registry: Any, dbsession: Session) -> list[Staged]:
    """A plain session (scripts, the bench): relay on its outermost commit."""
    staged = dbsession.info.get(PENDING_KEY)
    if staged is not None:
        return staged
    staged = dbsession.info[PENDING_KEY] = []
    if dbsession.info.get(PENDING_KEY + ".listening"):
        return staged
    dbsession.info[PENDING_KEY + ".listening"] = True

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return
        current = session.info.pop(PENDING_KEY, None)
        if current:
            relay(registry, current)

    def after_soft_rollback(session: Session, previous: Any) -> None:
        if previous.parent is None:
            session.info.pop(PENDING_KEY, None)

    sa_event.listen(dbsession, "after_commit", after_commit)
    sa_event.listen(dbsession, "after_soft_rollback", after_soft_rollback)
    return staged


def relay(registry: Any, staged: list[Staged]) -> int:
    """After the commit: publish the staged events, then let their outbox rows go; 0 on
    failure (the rows stay for the outbox relay and the actor). Never raises."""
    if not staged:
        return 0
    ts = time.time()
    try:  # one round trip to the hub for the whole transaction
        registry["realtime_hub"].publish_many(
            [(item.user_ids, item.type, item.data, ts, item.uid) for item in staged]
        )
    except Exception as exc:  # the request has committed: never fail it after the fact
        OUTAGES.failed(OUTAGE_COMPONENT, exc, "events wait in the outbox")
        return 0
    OUTAGES.recovered(OUTAGE_COMPONENT)
    get_acks(registry).add([item.uid for item in staged])
    return len(staged)


def publish_task(
    request: Any, user_ids: list[int], type_: str, data: str, ts: float, uid: str
) -> None:
    """The ``realtime.publish`` actor: an event the committing process could not publish."""
    request.registry["realtime_hub"].publish(user_ids, type_, data, ts, uid)
