"""Calendar feed API (API.md, "Scheduling"):

- ``POST /api/scheduling/calendar-token/`` issues the caller's feed token (rotating: the old
  one stops working) and answers its URL, once; ``DELETE`` revokes it without a new one;
- ``GET /api/scheduling/calendar/{token}.ics`` is the iCalendar feed calendar apps
  subscribe to. It is public (``NO_PERMISSION_REQUIRED``): calendar apps send no
  ``Authorization`` header, so the secret token in the URL is the credential, checked by the
  view itself (an unknown or revoked token is a 404). ETag and ``If-None-Match`` (304) let
  apps poll cheaply.
"""

from __future__ import annotations

from typing import Any

import colander
from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.accounts.users.resources import viewer_of
from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.db import utcnow
from thebot.errors import APIProblem
from thebot.permissions import MANAGE_CALENDAR_FEED
from thebot.responses import no_content
from thebot.scheduling.calendar import service
from thebot.scheduling.lessons.schemas import ActionRequest, node
from thebot.schemas import responds

TAGS = ["scheduling"]
CACHE_CONTROL = "private, max-age=300"
FEED_ROUTE = "scheduling_calendar_feed"


class CalendarRoot:
    __acl__ = [(Allow, Authenticated, MANAGE_CALENDAR_FEED), (Deny, Everyone, ALL_PERMISSIONS)]

    def __init__(self, request: Request):
        self.request = request


class TokenSchema(colander.MappingSchema):
    token = node(colander.String(), description="shown once; keep it secret")
    url = node(colander.String(), description="the feed URL to subscribe to")
    created_at = node(colander.DateTime())


token_service = ApiService(
    name="scheduling_calendar_token",
    path="/api/scheduling/calendar-token/",
    description="The caller's calendar feed token: POST issues (and rotates), DELETE revokes",
    factory=CalendarRoot,
)
feed_service = ApiService(
    name=FEED_ROUTE,
    path="/api/scheduling/calendar/{token}.ics",
    description="iCalendar feed of the token owner's lessons (the token is the credential)",
)


def owner(request: Request) -> Any:
    user = viewer_of(request)
    if user is None:  # the permission admits user accounts only; defence in depth
        raise APIProblem(403, "Calendar feeds belong to user accounts.")
    return user


@token_service.post(
    permission=MANAGE_CALENDAR_FEED,
    schema=ActionRequest(),  # no parameters: any body field or query is a 400
    tags=TAGS,
    response_schemas=responds(TokenSchema, "The new token and feed URL (shown once)", 201),
)
def issue_token(request: Request) -> dict[str, Any]:
    user = owner(request)
    token, row = service.issue_token(request.dbsession, user, utcnow())
    audit(request, "calendar_token.issued", target_type="user", target_id=user.id)
    request.response.status = 201
    request.response.headers["Cache-Control"] = "no-store"
    url = request.route_url(FEED_ROUTE, token=token)
    return service.token_json(token, row, url)


@token_service.delete(
    permission=MANAGE_CALENDAR_FEED,
    schema=ActionRequest(),  # no parameters: any body field or query is a 400
    tags=TAGS,
    response_schemas={"204": colander.MappingSchema(description="Revoked")},
)
def revoke_token(request: Request) -> Response:
    """The feed stops working (404) until a new token is issued."""
    user = owner(request)
    revoked = service.revoke_tokens(request.dbsession, user, utcnow())
    audit(request, "calendar_token.revoked", target_type="user", target_id=user.id, count=revoked)
    return no_content()


# Public by token: no Authorization header reaches a feed, the token in the path is checked
# against its stored hash below (unknown, revoked or inactive owner: 404).
@feed_service.get(
    permission=NO_PERMISSION_REQUIRED,
    tags=TAGS,
    response_schemas={
        "200": colander.SchemaNode(
            colander.String(), description="The iCalendar feed", content_types=("text/calendar",)
        )
    },
)
def calendar_feed(request: Request) -> Response:
    """``text/calendar``; ``If-None-Match`` with the current ETag answers 304."""
    user = service.feed_owner(request.dbsession, request.matchdict.get("token", ""))
    if user is None:
        raise APIProblem(404, "No such calendar feed.")
    settings = request.registry.settings
    past_days = settings.get("calendar_feed_past_days")
    if past_days is None:
        past_days = service.DEFAULT_PAST_DAYS
    body = service.feed_for(request.dbsession, user, utcnow(), past_days)
    tag = service.feed_etag(body)
    headers = {"ETag": f'"{tag}"', "Cache-Control": CACHE_CONTROL, "X-Robots-Tag": "noindex"}
    if tag in request.if_none_match:
        return Response(status=304, headers=headers)
    response = Response(body=body, content_type="text/calendar", charset="utf-8")
    response.headers.update(headers)
    response.content_disposition = 'inline; filename="thebot-lessons.ics"'
    return response
