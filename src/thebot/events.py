"""Domain events: the one path for side effects of a change.

A service records what happened on the unit of work (``record(dbsession, LessonChanged(...))``)
and never calls notifications, dashboard invalidation or task enqueueing itself. Features
subscribe in their ``includeme`` with Pyramid config directives, in one of two phases:

- ``config.add_subscriber(fn, [Committing, LessonChanged])``: *in the transaction*, at
  the moment the event is recorded. For effects that write rows (in-app notifications, the
  task outbox) or must query the state the change left (the dashboard audience): their
  writes join the transaction, so an abort rolls them back with the change, and whatever
  they send outside (emails through the outbox, dashboard cache bumps) is itself deferred to
  the commit. ``fn(committing, event)`` receives the ``Committing`` wrapper (``.request``,
  ``.dbsession``) and the event.
- ``config.add_subscriber(fn, LessonChanged)``: *after a successful commit*, through
  ``registry.notify(event)``, in the order the events were recorded, once. An aborted (or
  failed) transaction dispatches nothing and forgets its events. This is the path a realtime
  gateway publishes from: every event has a stable dotted ``name``, a JSON ``payload()`` and
  the ``user_ids`` it concerns.

A failing subscriber is logged and skipped; it never fails the request nor stops the other
subscribers (an in-transaction one runs in a savepoint, so its partial writes are undone).

Sessions of a request (or task) are joined to its ``transaction`` manager and use its commit
hooks; a plain session from ``registry["dbsession_factory"]()`` needs ``info["registry"]``
and uses SQLAlchemy's session ``after_commit``/``after_soft_rollback`` events.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from zope.interface import providedBy

log = logging.getLogger(__name__)

EVENTS_KEY = "thebot.events"  # session.info: the events recorded in the open transaction
_LISTENING = "thebot.events.listening"  # session.info: a plain session's listeners are set
SAVEPOINT_ATTR = "thebot_savepoint"  # False on a subscriber marked ``without_savepoint``
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened, recorded by a service. Subclasses are frozen dataclasses
    with JSON-friendly fields (ids, strings, numbers, tuples of them) and a ``name``."""

    name: ClassVar[str] = ""

    @property
    def user_ids(self) -> tuple[int, ...]:
        """The users this event concerns (whose screens show the changed thing)."""
        return ()

    def payload(self) -> dict[str, Any]:
        """The event's fields as JSON-serialisable data (tuples become lists)."""
        return {key: _plain(value) for key, value in dataclasses.asdict(self).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def ids(*groups: Iterable[int | None]) -> tuple[int, ...]:
    """Sorted distinct ids of ``groups`` (``None`` skipped): for event fields."""
    return tuple(sorted({int(i) for group in groups for i in group if i is not None}))


@dataclass(frozen=True)
class Committing:
    """The in-transaction phase of ``event`` (see the module docstring)."""

    event: DomainEvent
    request: Any
    dbsession: Session


@dataclass(frozen=True)
class DataReplaced(DomainEvent):
    """All stored data was replaced at once (a backup restore, committed): whatever a
    process keeps derived from it (cached dashboards...) is stale. It concerns everyone
    (``user_ids`` is empty). The restore commits on sessions of its own and announces it
    with ``registry.notify`` once that commit is done."""

    name = "data.replaced"
    reason: str = ""


def dispatch(registry: Any, *objects: Any, dbsession: Session | None = None) -> None:
    """Call each subscriber of ``objects`` (one event, or ``Committing`` and its event); a
    failure is logged and the others still run.

    With ``dbsession``, each subscriber runs in a savepoint: a failing one leaves no writes
    (but one marked ``without_savepoint``, which runs no statement of its own).
    Only the subscribers of this event's class are looked up, so an event nobody handles in
    the transaction costs no savepoint.
    """
    handlers = registry.adapters.subscriptions([providedBy(obj) for obj in objects], None)
    for handler in handlers:
        isolate = getattr(handler, SAVEPOINT_ATTR, True)
        savepoint = dbsession.begin_nested() if dbsession is not None and isolate else None
        try:
            handler(*objects)
        except Exception:
            log.exception("subscriber %r failed on %r", handler, objects[-1])
            if savepoint is not None and savepoint.is_active:
                savepoint.rollback()
        else:
            if savepoint is not None and savepoint.is_active:
                savepoint.commit()


def without_savepoint(subscriber: F) -> F:
    """Mark an in-transaction subscriber that runs no statement outside a savepoint of its
    own (it only adds objects to the session, flushed with the transaction's commit, or
    opens ``begin_nested()`` when it has work): none is opened around it, which saves its
    statements, a flush and the session's snapshot per event when it has nothing to do. An
    exception before it adds leaves nothing to undo; its rows fail (or commit) with the
    transaction, as the change they go with."""
    setattr(subscriber, SAVEPOINT_ATTR, False)
    return subscriber


def registry_of(dbsession: Session) -> Any:
    """The Pyramid registry ``dbsession`` works for (its request's, or ``info["registry"]``
    of a plain session); ``None`` for a session that knows neither."""
    request = dbsession.info.get("request")
    return request.registry if request is not None else dbsession.info.get("registry")


def record(dbsession: Session, event: DomainEvent) -> None:
    """Record ``event`` on the unit of work of ``dbsession`` (see the module docstring)."""
    request = dbsession.info.get("request")
    registry = request.registry if request is not None else dbsession.info.get("registry")
    if registry is None:
        raise RuntimeError("record(): the session knows neither a request nor a registry")
    pending = dbsession.info.get(EVENTS_KEY)
    if pending is None:
        pending = dbsession.info[EVENTS_KEY] = []
        _on_outcome(dbsession, registry, request, pending)
    pending.append(event)
    dispatch(registry, Committing(event, request, dbsession), event, dbsession=dbsession)


def _on_outcome(dbsession: Session, registry: Any, request: Any, pending: list) -> None:
    """Dispatch ``pending`` after a successful commit; forget it on abort."""

    def finished(success: bool) -> None:
        if dbsession.info.get(EVENTS_KEY) is pending:
            del dbsession.info[EVENTS_KEY]
        if success:
            for event in list(pending):
                dispatch(registry, event)
        pending.clear()

    if request is not None:
        txn = request.tm.get()
        txn.addAfterCommitHook(finished)
        txn.addAfterAbortHook(lambda: finished(False))
        return
    if dbsession.info.get(_LISTENING):
        return
    # A plain session: listen once for its life; each outcome settles the open list.
    dbsession.info[_LISTENING] = True

    def settle(session: Session, success: bool) -> None:
        current = session.info.pop(EVENTS_KEY, None)
        if current is None:
            return
        if success:
            for event in list(current):
                dispatch(registry, event)
        current.clear()

    def after_soft_rollback(session: Session, previous: Any) -> None:
        if previous.parent is None:  # the whole transaction, not a savepoint
            settle(session, False)

    def after_commit(session: Session) -> None:
        if not session.in_nested_transaction():  # a savepoint's commit fires it too
            settle(session, True)

    sa_event.listen(dbsession, "after_commit", after_commit)
    sa_event.listen(dbsession, "after_soft_rollback", after_soft_rollback)
