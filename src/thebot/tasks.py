"""Dramatiq: broker set-up, after-commit enqueueing, and the actor wrapper.

Features declare work with ``@task(...)``; ``includeme`` builds the broker from settings and
binds every declared task to it as a Dramatiq actor. Each actor runs inside its own
transaction with a prepared request (``request.dbsession``, ``request.registry``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from pyramid.scripting import prepare

from thebot.db import WRITER

log = logging.getLogger(__name__)


@dataclass
class TaskSpec:
    fn: Callable[..., Any]
    name: str
    queue: str
    options: dict[str, Any] = field(default_factory=dict)


TASKS: dict[str, TaskSpec] = {}


def task(name: str | None = None, *, queue: str = "default", **options: Any) -> Callable:
    """Declare ``fn(request, *args)`` as background work; bound to the broker at start-up."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = TaskSpec(fn, name or f"{fn.__module__}.{fn.__name__}", queue, options)
        TASKS[spec.name] = spec
        fn.task_name = spec.name  # type: ignore[attr-defined]
        return fn

    return decorate


def make_broker(settings: dict[str, Any]) -> dramatiq.Broker:
    kind = settings["task_broker"]
    if kind == "auto":
        kind = "redis" if settings.get("redis_url") else "inprocess"
    if kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(
            url=settings["redis_url"],
            socket_timeout=settings["redis_timeout"],
            socket_connect_timeout=settings["redis_timeout"],
        )
    elif kind in {"inprocess", "stub"}:
        broker = StubBroker()
        broker.emit_after("process_boot")
    else:
        raise ValueError(f"unknown task_broker {kind!r}")
    broker.thebot_kind = kind  # type: ignore[attr-defined]
    return broker


def _runner(spec: TaskSpec, registry: Any) -> Callable[..., Any]:
    @functools.wraps(spec.fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        env = prepare(registry=registry)
        request = env["request"]
        request.environ[WRITER] = True
        try:
            with request.tm:
                return spec.fn(request, *args, **kwargs)
        finally:
            env["closer"]()

    return run


def bind_tasks(registry: Any, broker: dramatiq.Broker) -> dict[str, dramatiq.Actor]:
    actors = {}
    for spec in TASKS.values():
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

    Dramatiq keeps delayed messages on the queue's delay queue (``<queue>.DQ``) until due.
    """
    name = getattr(fn_or_name, "task_name", fn_or_name)
    actor = get_actor(request.registry, name)
    message = actor.message(*args, **kwargs)
    delay = max(0, int(delay_ms)) if delay_ms is not None else None

    def after_commit(success: bool) -> None:
        if not success:
            return
        try:
            actor.broker.enqueue(message, delay=delay or None)
        except Exception:  # the data is committed; losing the message must not 500
            log.exception("could not enqueue %s (message %s)", name, message.message_id)

    request.tm.get().addAfterCommitHook(after_commit)


def queue_depth(broker: dramatiq.Broker) -> dict[str, int]:
    """Messages waiting per queue (best effort; raises if the broker is unreachable)."""
    depths = {}
    for queue in sorted(broker.get_declared_queues()):
        if isinstance(broker, StubBroker):
            depths[queue] = broker.queues[queue].qsize()
        else:
            depths[queue] = int(broker.client.llen(f"{broker.namespace}:{queue}"))
    return depths


def start_in_process_worker(broker: dramatiq.Broker, threads: int = 2) -> dramatiq.Worker:
    """Development: run the actors in background threads of the web process."""
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=200)
    worker.start()
    return worker


def includeme(config: Any) -> None:
    settings = config.get_settings()
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    config.registry["task_broker"] = broker

    def bind() -> None:
        # After the scan, so every feature's @task is declared.
        config.registry["task_actors"] = bind_tasks(config.registry, broker)
        if broker.thebot_kind == "inprocess":
            config.registry["task_worker"] = start_in_process_worker(broker)

    config.action("thebot.tasks.bind", bind, order=10**6)
