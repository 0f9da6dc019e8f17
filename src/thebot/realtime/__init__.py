"""Real-time gateway: every event of a user on one WebSocket, nothing lost on reconnect.

How a feature uses it (in its ``includeme``; ``thebot.realtime`` is included before the
features that use these directives):

``config.add_realtime_event(EventClass)``
    ``EventClass`` is a ``thebot.events.DomainEvent``. Each such event committed from then on
    reaches the sockets of its ``user_ids`` as the frame ``{"id": "<stream id>", "type":
    event.name, "data": event.payload()}``, through the transactional outbox (see
    ``thebot.realtime.publish``): an aborted transaction publishes nothing, a Redis outage
    delays but loses nothing. A class may say ``realtime = True`` instead of the directive.

``config.add_realtime_action("message.send", handler)``
    A client frame ``{"type": "message.send", "data": {...}, "ref": "c1"}`` runs
    ``handler(request, data) -> result`` in a worker thread of the gateway:

    - ``request`` is a Pyramid request prepared for the socket's user: ``request.identity``
      (``.user``), ``request.dbsession`` in a transaction (``request.tm``) committed when
      the handler returns and aborted when it raises, ``request.registry``; the per-user
      API rate limit of REST was counted for it. Call the same service function as the
      REST view (same permission checks, validation, audit, events).
    - ``data`` is the frame's ``data`` object (unvalidated: validate as the REST schema does;
      a raised ``colander.Invalid`` becomes a 400).
    - the JSON-serialisable ``result`` is answered as ``{"id": null, "type": "ack", "data":
      {"action": "message.send", "ref": "c1", "result": result}}``; a raised domain error
      (``thebot.errors``) or ``APIProblem`` as ``{"id": null, "type": "error", "data":
      {<problem+json fields>, "ref": "c1"}}``.

    The gateway answers ``ping`` (``pong``) and ``resume`` itself; those names, and ``ack``,
    ``error``, ``pong``, ``resync``, are reserved.

Pieces: ``hub`` (per-user streams: memory, or ``redis_hub``), ``publish`` (outbox → hub),
``tickets`` and ``views`` (``POST /api/realtime/ticket/``), ``gateway`` (the asyncio
``websockets`` server, run by ``thebot-realtime`` or in-process in development).
"""

from __future__ import annotations

import logging
from typing import Any

from thebot.realtime.directives import add_realtime_action, add_realtime_event

log = logging.getLogger(__name__)


def hub_kind(settings: dict[str, Any]) -> str:
    kind = settings["realtime_hub"]
    if kind == "auto":
        use_redis = settings.get("redis_url") and not settings["realtime_in_process"]
        kind = "redis" if use_redis else "memory"
    if kind == "redis" and not settings.get("redis_url"):
        raise ValueError("REALTIME_HUB=redis needs REDIS_URL")
    return kind


def make_hub(settings: dict[str, Any]) -> Any:
    if hub_kind(settings) == "redis":
        from thebot.realtime.redis_hub import RedisHub

        return RedisHub(
            settings["redis_url"],
            settings["realtime_replay_seconds"],
            settings["redis_timeout"],
            settings["redis_key_prefix"],
        )
    from thebot.realtime.hub import MemoryHub

    return MemoryHub(settings["realtime_replay_seconds"])


def make_tickets(hub: Any) -> Any:
    from thebot.realtime.tickets import MemoryTickets, RedisTickets

    return RedisTickets(hub.client, hub.prefix) if hub.kind == "redis" else MemoryTickets()


def includeme(config: Any) -> None:
    from thebot.events import Committing, DomainEvent
    from thebot.realtime import health, publish, tasks  # noqa: F401 (tasks: the actor)

    config.add_directive("add_realtime_event", add_realtime_event)
    config.add_directive("add_realtime_action", add_realtime_action)
    settings = config.get_settings()
    registry = config.registry
    registry["realtime_hub"] = make_hub(settings)
    registry["realtime_tickets"] = make_tickets(registry["realtime_hub"])
    config.add_subscriber(publish.stage, [Committing, DomainEvent])
    config.scan("thebot.realtime.views")
    config.scan("thebot.realtime.tasks")
    # After every include (the system feature's metrics registry) and the task binding.
    config.action("thebot.realtime.observe", lambda: health.setup(registry), order=10**6 + 2)
    if settings["realtime_in_process"]:
        config.action("thebot.realtime.start", lambda: start_in_process(registry), order=10**6 + 3)


def start_in_process(registry: Any) -> None:
    """Development: the gateway in a thread of the web process, on ``REALTIME_LISTEN``.

    A gateway that cannot start (the port is taken) is logged, not fatal: the web process
    serves on, and the ``websocket`` health component reports the error."""
    from thebot.realtime.gateway.runner import GatewayThread

    try:
        registry["realtime_gateway"] = GatewayThread(registry).start()
    except Exception as exc:  # one line: a console script next to a running pserve hits it
        log.warning("the in-process realtime gateway did not start: %s", exc)
