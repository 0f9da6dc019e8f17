"""Route factories of the chat API: the caller's access to a room (``thebot.chat.access``)
as an ``__acl__``. Rooms the caller may not see are a 404 from the factory; anonymous
callers are not looked up (the forbidden view's 401)."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone

from thebot.api import parse_id
from thebot.chat import access as rules
from thebot.chat.access import RoomAccess, message_access, room_access
from thebot.chat.models import ChatMessage
from thebot.errors import NotFound
from thebot.permissions import (
    CHAT_CONTACTS,
    CHAT_LEAVE,
    CHAT_MESSAGE,
    CHAT_MODERATE,
    CHAT_POST,
    CHAT_READ,
    CHAT_ROOMS,
    CHAT_VIEW_ROOM,
)

DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)
ROOM_PATH = "/api/chat/rooms/{id}/"
ROOM_ID_PATH = r"^/api/chat/rooms/\d+/"  # path_info predicate: numeric ids only
MESSAGE_PATH = "/api/chat/messages/{id}/"
MESSAGE_ID_PATH = r"^/api/chat/messages/\d+/"


def viewer_of(request: Any) -> Any:
    """The calling user (``None`` for anonymous callers and the monitoring token)."""
    return getattr(request.identity, "user", None)


GRANTS = {
    rules.VIEW: CHAT_VIEW_ROOM,
    rules.POST: CHAT_POST,
    rules.READ: CHAT_READ,
    rules.LEAVE: CHAT_LEAVE,
    rules.MODERATE: CHAT_MODERATE,
}


class ChatRoot:
    """``/api/chat/rooms/`` and ``/api/chat/contacts/``: any signed-in user."""

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is not None and self.viewer.is_active:
            principal = f"user:{self.viewer.id}"
            self.__acl__ = [(Allow, principal, (CHAT_ROOMS, CHAT_CONTACTS)), DENY_REST]


def _path_id(request: Any) -> int:
    value = parse_id(request.matchdict.get("id"))
    if value is None:
        raise NotFound("Not found.")
    return value


class RoomResource:
    """One room (and its members, messages, read state) as the caller may use it."""

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.access: RoomAccess | None = None
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return
        # a POST (a message, the read state) publishes to the members: read them here too
        self.access = room_access(
            request.dbsession,
            self.viewer,
            _path_id(request),
            member_ids=request.method == "POST",
        )
        granted = tuple(GRANTS[a] for a in sorted(self.access.actions()))
        self.__acl__ = [(Allow, f"user:{self.viewer.id}", granted), DENY_REST]

    @property
    def room_id(self) -> int:
        assert self.access is not None
        return self.access.room.id


class MessageResource:
    """One message: whoever sees its room may ask to change it (the service decides)."""

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.message: ChatMessage | None = None
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return
        self.message, access = message_access(request.dbsession, self.viewer, _path_id(request))
        granted = [CHAT_VIEW_ROOM, CHAT_MESSAGE]
        if access.can(rules.MODERATE):
            granted.append(CHAT_MODERATE)
        self.__acl__ = [(Allow, f"user:{self.viewer.id}", tuple(granted)), DENY_REST]
