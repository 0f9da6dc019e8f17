"""Request and response schemas of the real-time API."""

from __future__ import annotations

import colander


class TicketResponse(colander.MappingSchema):
    ticket = colander.SchemaNode(
        colander.String(), description="single use, valid 60 s; shown once"
    )
    url = colander.SchemaNode(
        colander.String(), description="the WebSocket URL to connect to (carries the ticket)"
    )
    expires_at = colander.SchemaNode(colander.DateTime())
