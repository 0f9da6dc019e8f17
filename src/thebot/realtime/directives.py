"""The two config directives other features use: real-time events and socket actions.

``config.add_realtime_event(EventClass)``
    Every ``EventClass`` event (a ``thebot.events.DomainEvent``) committed from now on is
    delivered to the sockets of its ``user_ids`` as ``{"id", "type": event.name, "data":
    event.payload()}``. An event class may instead declare ``realtime = True``.

``config.add_realtime_action(name, handler)``
    A client frame ``{"type": name, "data": {...}, "ref": ...}`` runs ``handler(request,
    data)`` in a worker thread (see ``thebot.realtime`` for the request it gets).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EVENTS_KEY = "realtime_events"  # registry: the event classes published to sockets
ACTIONS_KEY = "realtime_actions"  # registry: action name -> Action
ACTION_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
# Frame types the gateway answers itself: no feature may claim them.
RESERVED_ACTIONS = frozenset({"resume", "ping", "pong", "error", "ack", "resync"})


@dataclass(frozen=True)
class Action:
    """A client → server frame type and the function that runs it."""

    name: str
    handler: Callable[[Any, dict[str, Any]], Any]


def add_realtime_event(config: Any, event_class: type) -> None:
    """Publish ``event_class`` events to their users' sockets after commit."""
    name = getattr(event_class, "name", "")
    if not name:
        raise ValueError(f"{event_class!r} has no event name")

    def register() -> None:
        config.registry.setdefault(EVENTS_KEY, set()).add(event_class)

    config.action(("thebot.realtime.event", event_class), register)


def add_realtime_action(
    config: Any, name: str, handler: Callable[[Any, dict[str, Any]], Any]
) -> None:
    """Let clients run ``handler`` by sending a ``name`` frame (one handler per name)."""
    if not ACTION_NAME_RE.match(name) or name in RESERVED_ACTIONS:
        raise ValueError(f"{name!r} cannot be a real-time action name")
    handler = config.maybe_dotted(handler)

    def register() -> None:
        config.registry.setdefault(ACTIONS_KEY, {})[name] = Action(name, handler)

    # The discriminator makes two features claiming one name a configuration conflict.
    config.action(("thebot.realtime.action", name), register)


def is_realtime(registry: Any, event: Any) -> bool:
    """Whether ``event`` goes to sockets: marked by the directive or ``realtime = True``."""
    if getattr(type(event), "realtime", False):
        return True
    return any(isinstance(event, cls) for cls in registry.get(EVENTS_KEY, ()))


def actions(registry: Any) -> dict[str, Action]:
    return registry.get(ACTIONS_KEY, {})
