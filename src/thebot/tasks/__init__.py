"""Dramatiq: broker set-up, enqueueing through the outbox, and the actor wrapper.

Features declare work with ``@task(...)``: like a Cornice service, the decorator only marks
the function; ``config.scan`` of the feature's package adds it to the configuration
(``config.add_task``, which an integrator may also call directly), and ``includeme`` builds
the broker from settings and binds every added task to it as a Dramatiq actor (so each app
has its own actors: nothing is registered at import time). Each actor runs inside its own
transaction with a prepared request (``request.dbsession``, ``request.registry``).
``enqueue`` writes the message into the transactional outbox (``thebot.tasks.outbox``); it reaches
the broker after the commit, later if the broker is down, and an actor skips a message id it
has already processed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import venusian
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage
from pyramid.scripting import prepare

from thebot.db import WRITER
from thebot.tasks import outbox

log = logging.getLogger(__name__)


# How an actor skips a message id it has processed (duplicates come from the outbox relay):
# "transaction": the id is recorded in the actor's own transaction (exactly once for its
# database work); "claim": recorded and committed before the actor runs, for actors that
# commit on sessions of their own (backups), so the record holds no lock while they run.
DEDUPE_MODES = ("transaction", "claim")


@dataclass
class TaskSpec:
    fn: Callable[..., Any]
    name: str
    queue: str
    options: dict[str, Any] = field(default_factory=dict)
    dedupe: str = "transaction"


TASKS = "thebot.tasks"  # registry: {name: TaskSpec}, filled by config.add_task


def task(
    name: str | None = None, *, queue: str = "default", dedupe: str = "transaction", **options: Any
) -> Callable:
    """Declare ``fn(request, *args)`` as background work; ``config.scan`` of its module adds
    it (``add_task``), and it is bound to the broker at start-up."""
    if dedupe not in DEDUPE_MODES:
        raise ValueError(f"dedupe must be one of {DEDUPE_MODES}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        task_name = name or f"{fn.__module__}.{fn.__name__}"
        # enqueue() accepts the function itself and finds its task by this name.
        fn.task_name = task_name  # type: ignore[attr-defined]  # a plain function's attribute

        def found(scanner: Any, _name: str, ob: Any) -> None:
            scanner.config.add_task(ob, task_name, queue=queue, dedupe=dedupe, **options)

        venusian.attach(fn, found, category="pyramid")
        return fn

    return decorate


def add_task(
    config: Any,
    fn: Callable[..., Any],
    name: str | None = None,
    *,
    queue: str = "default",
    dedupe: str = "transaction",
    **options: Any,
) -> None:
    """``config.add_task(fn, name, ...)``: run ``fn(request, *args)`` as the actor ``name``.

    Two tasks of one name are a configuration conflict (reported at commit)."""
    if dedupe not in DEDUPE_MODES:
        raise ValueError(f"dedupe must be one of {DEDUPE_MODES}")
    spec = TaskSpec(fn, name or f"{fn.__module__}.{fn.__name__}", queue, dict(options), dedupe)

    def register() -> None:
        config.registry.setdefault(TASKS, {})[spec.name] = spec

    intr = config.introspectable("thebot tasks", spec.name, spec.name, "thebot task")
    intr["queue"] = spec.queue
    intr["callable"] = fn
    config.action(("thebot.task", spec.name), register, introspectables=(intr,))


def tasks_of(registry: Any) -> dict[str, TaskSpec]:
    """The tasks added to ``registry``, by name."""
    return dict(registry.get(TASKS, {}))


def make_broker(settings: dict[str, Any]) -> dramatiq.Broker:
    kind = settings["task_broker"]
    if kind == "auto":
        kind = "redis" if settings.get("redis_url") else "inprocess"
    if kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(
            url=settings["redis_url"],
            namespace=settings["redis_key_prefix"] + "dramatiq",
            socket_timeout=settings["redis_timeout"],
            socket_connect_timeout=settings["redis_timeout"],
        )
    elif kind in {"inprocess", "stub"}:
        broker = StubBroker()
        broker.emit_after("process_boot")
    else:
        raise ValueError(f"unknown task_broker {kind!r}")
    broker.add_middleware(CurrentMessage())  # actors read their message id (deduplication)
    # Our tag on Dramatiq's broker (read with broker_kind): which kind this is.
    setattr(broker, "thebot_kind", kind)  # noqa: B010 - Broker declares no such attribute
    return broker


def broker_kind(broker: dramatiq.Broker) -> str:
    """``redis``, ``inprocess`` or ``stub``: the kind ``make_broker`` built."""
    return str(getattr(broker, "thebot_kind", "unknown"))


def _runner(spec: TaskSpec, registry: Any) -> Callable[..., Any]:
    @functools.wraps(spec.fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        message = CurrentMessage.get_current_message()  # None when called directly
        env = prepare(registry=registry)
        request = env["request"]
        request.environ[WRITER] = True
        try:
            with outbox.in_process_guard(registry):
                result = _run(spec, request, message, args, kwargs)
        finally:
            env["closer"]()
        # A task's return value is for direct callers (tests). Run from a message there is no
        # result backend to keep it: Dramatiq would warn about that on every run.
        return result if message is None else None

    return run


def _run(spec: TaskSpec, request: Any, message: Any, args: Any, kwargs: dict[str, Any]) -> Any:
    if message is not None and spec.dedupe == "claim":
        return _run_claimed(spec, request, message.message_id, args, kwargs)
    with request.tm:
        if message is not None and not outbox.claim(
            request.dbsession, message.message_id, spec.name
        ):
            log.info("%s: message %s already processed", spec.name, message.message_id)
            return None
        return spec.fn(request, *args, **kwargs)


def _run_claimed(
    spec: TaskSpec, request: Any, message_id: str, args: Any, kwargs: dict[str, Any]
) -> Any:
    factory = request.registry["dbsession_factory"]
    with factory() as session, session.begin():
        claimed = outbox.claim(session, message_id, spec.name)
    if not claimed:
        log.info("%s: message %s already processed", spec.name, message_id)
        return None
    try:
        with request.tm:
            return spec.fn(request, *args, **kwargs)
    except BaseException:  # not run to the end: a retry must not be skipped
        with factory() as session, session.begin():
            outbox.forget(session, message_id)
        raise


def bind_tasks(registry: Any, broker: dramatiq.Broker) -> dict[str, dramatiq.Actor]:
    actors = {}
    for spec in tasks_of(registry).values():
        actors[spec.name] = dramatiq.Actor(
            _runner(spec, registry),
            broker=broker,
            actor_name=spec.name,
            queue_name=spec.queue,
            priority=0,
            options=dict(spec.options),
        )
    return actors


def get_actor(registry: Any, name: str) -> dramatiq.Actor:
    return registry["task_actors"][name]


def enqueue(request: Any, fn_or_name: Any, *args: Any, **kwargs: Any) -> None:
    """Send a message once the current transaction commits; an abort sends nothing."""
    enqueue_delayed(request, fn_or_name, None, *args, **kwargs)


def enqueue_delayed(
    request: Any, fn_or_name: Any, delay_ms: int | None, *args: Any, **kwargs: Any
) -> None:
    """Like ``enqueue``; the message is processed no sooner than ``delay_ms`` after the commit.

    The message is an outbox row of the current transaction; after the commit it is relayed
    to the broker (kept and retried while the broker is down). Dramatiq keeps delayed
    messages on the queue's delay queue (``<queue>.DQ``) until due.
    """
    name = getattr(fn_or_name, "task_name", fn_or_name)
    actor = get_actor(request.registry, name)
    message = actor.message(*args, **kwargs)
    delay = max(0, int(delay_ms)) if delay_ms is not None else None
    outbox.write(request.dbsession, message, delay or None)
    outbox.after_commit_hook(request.registry, request.tm.get(), message.message_id)


def queue_depth(broker: dramatiq.Broker) -> dict[str, int]:
    """Messages waiting per queue (best effort; raises if the broker is unreachable)."""
    from dramatiq.brokers.redis import RedisBroker

    depths = {}
    for queue in sorted(broker.get_declared_queues()):
        if isinstance(broker, StubBroker):
            depths[queue] = broker.queues[queue].qsize()
        elif isinstance(broker, RedisBroker):
            depths[queue] = int(broker.client.llen(f"{broker.namespace}:{queue}"))
        else:  # pragma: no cover - make_broker builds no other kind
            raise TypeError(f"unknown broker {type(broker).__name__}")
    return depths


def start_in_process_worker(broker: dramatiq.Broker, threads: int = 2) -> dramatiq.Worker:
    """Development: run the actors in background threads of the web process."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=200)
    worker.start()
    return worker


def includeme(config: Any) -> None:
    config.add_directive("add_task", add_task)
    settings = config.get_settings()
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    config.registry["task_broker"] = broker

    def bind() -> None:
        # After every add_task action (they run at the default order, 0).
        config.registry["task_actors"] = bind_tasks(config.registry, broker)
        if broker_kind(broker) == "inprocess":
            config.registry["task_worker"] = start_in_process_worker(broker)

    config.action("thebot.tasks.bind", bind, order=10**6)
