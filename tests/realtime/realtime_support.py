"""Test-only pieces of the real-time tests, included through ``includes``: a real-time
event, a REST endpoint recording it, and socket actions registered as a feature would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import colander

from thebot.api import ApiService
from thebot.errors import Conflict, Invalid
from thebot.events import DomainEvent, record
from thebot.permissions import AUTHENTICATED
from thebot.schemas import StrictMapping


@dataclass(frozen=True)
class Pinged(DomainEvent):
    """Marked real-time by the directive (``includeme`` below)."""

    name = "test.pinged"
    to: tuple[int, ...] = ()
    text: str = ""

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.to


@dataclass(frozen=True)
class Flagged(DomainEvent):
    """Marked real-time by its class attribute."""

    name = "test.flagged"
    realtime = True
    to: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.to


@dataclass(frozen=True)
class Quiet(DomainEvent):
    """Not real-time: never reaches a socket."""

    name = "test.quiet"
    to: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.to


class PingBody(StrictMapping):
    to = colander.SchemaNode(colander.List(), missing=())
    text = colander.SchemaNode(colander.String(), missing="")
    quiet = colander.SchemaNode(colander.Boolean(), missing=False)


class PingRequest(colander.MappingSchema):
    body = PingBody()


ping = ApiService(name="test_realtime_ping", path="/api/test/realtime-ping/", description="ping")


@ping.post(permission=AUTHENTICATED, schema=PingRequest())
def post_ping(request: Any) -> dict[str, Any]:
    body = request.validated["body"]
    to = tuple(int(i) for i in body["to"]) or (request.identity.user.id,)
    event = Quiet(to) if body["quiet"] else Pinged(to, body["text"])
    record(request.dbsession, event)
    return {"sent": list(to)}


def echo(request: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``test.echo``: answers who asked and what; records ``test.pinged`` when asked to."""
    if "text" not in data:
        raise Invalid("text", "Required")
    if data["text"] == "conflict":
        raise Conflict("Already said.", said=data["text"])
    if data["text"] == "boom":
        raise RuntimeError("secret internals")
    user = request.identity.user
    if data.get("publish"):
        record(request.dbsession, Pinged((user.id,), data["text"]))
    return {"user_id": user.id, "text": data["text"]}


def includeme(config: Any) -> None:
    config.add_realtime_event(Pinged)
    config.add_realtime_action("test.echo", echo)
    config.scan(__name__)
