"""The caller's notifications: list, mark read, mark all read, delivery preferences."""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, Request, parse_id
from thebot.errors import APIProblem
from thebot.notifications import service
from thebot.notifications.models import Notification
from thebot.notifications.schemas import (
    LIST_RESPONSES,
    ONE_RESPONSES,
    PREFERENCES_RESPONSES,
    READ_ALL_RESPONSES,
    NotificationListRequest,
    PreferencesPatchRequest,
)
from thebot.pagination import paginate_request
from thebot.permissions import AUTHENTICATED
from thebot.schemas import EmptyRequest, NoQueryRequest

TAGS = ["notifications"]

notifications = ApiService(
    name="notifications", path="/api/notifications/", description="The caller's notifications"
)
notification_read = ApiService(
    name="notification_read",
    path="/api/notifications/{id}/read/",
    description="Mark one notification read",
)
notifications_read_all = ApiService(
    name="notifications_read_all",
    path="/api/notifications/read-all/",
    description="Mark every notification read",
)
preferences = ApiService(
    name="notification_preferences",
    path="/api/notifications/preferences/",
    description="Notification channels per category, quiet hours, time zone",
)


def caller_id(request: Request) -> int:
    """The signed-in user's id (the AUTHENTICATED permission admits users only)."""
    user = getattr(request.identity, "user", None)
    if user is None:  # defence in depth: never serve another principal a user's inbox
        raise APIProblem(403, "Notifications belong to user accounts.")
    return int(user.id)


@notifications.get(
    permission=AUTHENTICATED,
    schema=NotificationListRequest(),
    response_schemas=LIST_RESPONSES,
    tags=TAGS,
)
def list_notifications(request: Request) -> dict[str, Any]:
    """Newest first; ``?unread=true`` for the unread ones only."""
    user_id = caller_id(request)
    query = request.validated["querystring"]
    rows, next_cursor = paginate_request(
        request,
        service.notifications_query(user_id, unread=query["unread"]),
        [(Notification.id, "desc")],  # ids grow with creation: newest first
    )
    return {
        "items": [service.notification_json(n) for n in rows],
        "next_cursor": next_cursor,
        "unread_count": service.unread_count(request.dbsession, user_id),
    }


@notification_read.post(
    permission=AUTHENTICATED, schema=EmptyRequest(), response_schemas=ONE_RESPONSES, tags=TAGS
)
def read_notification(request: Request) -> dict[str, Any]:
    """Another user's notification is not found (its existence is not revealed)."""
    user_id = caller_id(request)
    raw_id = request.matchdict["id"]
    notification = None
    # Ids are what the API returns; anything else names no notification.
    if parse_id(raw_id) is not None:
        notification = service.mark_read(request.dbsession, user_id, int(raw_id))
    if notification is None:
        raise APIProblem(404, "No such notification.")
    return service.notification_json(notification)


@notifications_read_all.post(
    permission=AUTHENTICATED,
    schema=EmptyRequest(),
    response_schemas=READ_ALL_RESPONSES,
    tags=TAGS,
)
def read_all_notifications(request: Request) -> dict[str, Any]:
    return {"updated": service.mark_all_read(request.dbsession, caller_id(request))}


@preferences.get(
    permission=AUTHENTICATED,
    schema=NoQueryRequest(),
    response_schemas=PREFERENCES_RESPONSES,
    tags=TAGS,
)
def get_preferences(request: Request) -> dict[str, Any]:
    """Every category with its effective switches (defaults where the user chose nothing)."""
    pref = service.get_preferences(request.dbsession, caller_id(request))
    return service.preferences_json(pref, service.categories(request.registry))


@preferences.patch(
    permission=AUTHENTICATED,
    schema=PreferencesPatchRequest(),
    response_schemas=PREFERENCES_RESPONSES,
    tags=TAGS,
)
def patch_preferences(request: Request) -> dict[str, Any]:
    """Partial update: only the categories and channels sent change; null clears quiet hours."""
    pref = service.update_preferences(
        request.dbsession, caller_id(request), request.validated["body"]
    )
    return service.preferences_json(pref, service.categories(request.registry))
