"""``POST /api/realtime/ticket/``: a single-use ticket to open the caller's socket."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import redis

from thebot.api import ApiService, Request
from thebot.db import utcnow
from thebot.errors import APIProblem
from thebot.outages import OUTAGES
from thebot.permissions import AUTHENTICATED
from thebot.realtime import tickets
from thebot.realtime.schemas import TicketResponse
from thebot.schemas import EmptyRequest, responds

TAGS = ["realtime"]

ticket_service = ApiService(
    name="realtime_ticket",
    path="/api/realtime/ticket/",
    description="A single-use, 60-second ticket for the WebSocket gateway",
)


def public_url(settings: dict[str, Any]) -> str:
    """Where clients reach the gateway (no trailing slash)."""
    base = settings.get("realtime_public_url") or f"ws://{settings['realtime_listen']}"
    return base.rstrip("/")


@ticket_service.post(
    permission=AUTHENTICATED,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(TicketResponse, "The ticket and the URL that carries it", 201),
)
def issue_ticket(request: Request) -> dict[str, Any]:
    identity = request.identity
    user = getattr(identity, "user", None)
    if user is None:  # the permission admits user accounts only; defence in depth
        raise APIProblem(403, "Tickets belong to user accounts.")
    credential = tickets.Credential(
        user_id=user.id,
        token_id=getattr(identity.token, "id", None),
        session_hash=getattr(identity.session, "key_hash", None),
    )
    try:
        ticket, expires_at = tickets.issue(
            request.registry["realtime_tickets"], credential, utcnow()
        )
    except redis.RedisError as exc:
        OUTAGES.failed(tickets.OUTAGE_COMPONENT, exc)
        raise APIProblem(
            503, "Real-time tickets are unavailable right now.", headers={"Retry-After": "5"}
        ) from exc
    OUTAGES.recovered(tickets.OUTAGE_COMPONENT)
    request.response.status = 201
    request.response.headers["Cache-Control"] = "no-store"
    url = f"{public_url(request.registry.settings)}/ws/?ticket={quote(ticket)}"
    return {"ticket": ticket, "url": url, "expires_at": expires_at.isoformat()}
