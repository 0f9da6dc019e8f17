"""Chat rooms API: the caller's rooms, direct get-or-create, groups, moderation, members,
and the people the caller may start a direct chat with."""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.accounts.models import User
from thebot.api import ApiService, Request, parse_id
from thebot.audit import audit
from thebot.chat.contacts import contacts_query
from thebot.chat.models import ChatRoom
from thebot.chat.objects import rooms_json
from thebot.chat.resources import ROOM_ID_PATH, ROOM_PATH, ChatRoot, RoomResource
from thebot.chat.rooms import members as membership
from thebot.chat.rooms import service
from thebot.chat.rooms.schemas import (
    AddMemberRequest,
    ContactsRequest,
    CreateRoomRequest,
    RoomsListRequest,
    UpdateMemberRequest,
    UpdateRoomRequest,
)
from thebot.chat.schemas import ContactPage, MemberPage, MemberSchema, RoomPage, RoomSchema
from thebot.errors import Invalid, NotFound
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    CHAT_CONTACTS,
    CHAT_LEAVE,
    CHAT_MODERATE,
    CHAT_ROOMS,
    CHAT_VIEW_ROOM,
)
from thebot.responses import no_content
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["chat"]

rooms = ApiService(
    name="chat_rooms",
    path="/api/chat/rooms/",
    description="The caller's chat rooms; start a direct chat or create a group",
    factory=ChatRoot,
)
room = ApiService(
    name="chat_room",
    path=ROOM_PATH,
    path_info=ROOM_ID_PATH,
    description="One chat room; DELETE leaves it (members) or archives it (moderators)",
    factory=RoomResource,
)
members = ApiService(
    name="chat_room_members",
    path=ROOM_PATH + "members/",
    path_info=ROOM_ID_PATH,
    description="A room's members",
    factory=RoomResource,
)
member = ApiService(
    name="chat_room_member",
    path=ROOM_PATH + "members/{user_id}/",
    path_info=ROOM_ID_PATH,
    description="One member of a room: role and mute (moderators)",
    factory=RoomResource,
)
contacts = ApiService(
    name="chat_contacts",
    path="/api/chat/contacts/",
    description="People the caller may start a direct chat with",
    factory=ChatRoot,
)


def room_body(request: Request, room_id: int) -> dict[str, Any]:
    dbsession = request.dbsession
    viewer = request.context.viewer
    found = dbsession.get(ChatRoom, room_id)
    if found is None:
        raise NotFound("No such chat room.")
    mine = service.memberships(dbsession, viewer.id, [room_id])
    return rooms_json(dbsession, [found], viewer_id=viewer.id, memberships=mine)[0]


@rooms.get(
    permission=CHAT_ROOMS,
    schema=RoomsListRequest(),
    tags=TAGS,
    response_schemas=responds(RoomPage, "The caller's rooms, most recent activity first"),
)
def list_rooms(request: Request) -> dict[str, Any]:
    """Each room with ``unread_count`` and ``last_message``; filters ``type``, ``archived``."""
    query = request.validated["querystring"]
    viewer = request.context.viewer
    stmt = service.rooms_query(viewer, room_type=query.get("type"), archived=query["archived"])
    rows, next_cursor = paginate_request(request, stmt, service.LIST_ORDER)
    mine = service.memberships(request.dbsession, viewer.id, [r.id for r in rows])
    items = rooms_json(request.dbsession, rows, viewer_id=viewer.id, memberships=mine)
    return page_body(items, next_cursor)


@rooms.post(
    permission=CHAT_ROOMS,
    schema=CreateRoomRequest(),
    tags=TAGS,
    response_schemas={
        **responds(RoomSchema, "The direct room of the two people, which existed"),
        **responds(RoomSchema, "The new room", 201),
    },
)
def create_room(request: Request) -> dict[str, Any]:
    """``{"type": "direct", "user_id"}``: the one room of the two (200 when it existed, 201
    when new); ``{"type": "group", "name", "member_ids"}``: a new group (201)."""
    body = request.validated["body"]
    viewer = request.context.viewer
    dbsession = request.dbsession
    if body["type"] == "direct":
        if "user_id" not in body or {"name", "member_ids"} & set(body):
            raise Invalid("user_id", "A direct chat takes user_id (and no name or member_ids)")
        new, is_new = service.direct_room(dbsession, viewer, body["user_id"])
    else:
        if "name" not in body or "user_id" in body:
            raise Invalid("name", "A group chat takes a name and member_ids")
        new = service.create_group(dbsession, viewer, body["name"], body.get("member_ids", []))
        is_new = True
    if is_new:
        audit(request, "chat_room.created", target_type="chat_room", target_id=new.id)
        request.response.status = 201
        request.response.headers["Location"] = request.route_url("chat_room", id=new.id)
    return room_body(request, new.id)


@room.get(
    permission=CHAT_VIEW_ROOM,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(RoomSchema, "The room, with the caller's unread_count"),
)
def get_room(request: Request) -> dict[str, Any]:
    return room_body(request, request.context.room_id)


@room.patch(
    permission=CHAT_MODERATE,
    schema=UpdateRoomRequest(),
    tags=TAGS,
    response_schemas=responds(RoomSchema, "The changed room"),
)
def update_room(request: Request) -> dict[str, Any]:
    """Rename (not direct rooms) or lock/unlock (moderators and admins)."""
    changes = request.validated["body"]
    service.update_room(
        request.dbsession, request.context.viewer, request.context.room_id, changes
    )
    audit(
        request,
        "chat_room.updated",
        target_type="chat_room",
        target_id=request.context.room_id,
        fields=sorted(changes),
    )
    return room_body(request, request.context.room_id)


@room.delete(
    permission=CHAT_LEAVE,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Left (member) or archived (moderator)", 204),
)
def delete_room(request: Request) -> Response:
    """A member leaves the room; a moderator or admin archives it for everyone (read-only,
    kept). Subject rooms are left with the enrollment (409)."""
    outcome = service.leave_or_archive(
        request.dbsession, request.context.viewer, request.context.room_id
    )
    audit(
        request, f"chat_room.{outcome}", target_type="chat_room", target_id=request.context.room_id
    )
    return no_content()


# --- members ------------------------------------------------------------------------------


@members.get(
    permission=CHAT_VIEW_ROOM,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(MemberPage, "The room's members"),
)
def list_members(request: Request) -> dict[str, Any]:
    items = membership.list_members(
        request.dbsession, request.context.viewer, request.context.room_id
    )
    return page_body(items, None)


@members.post(
    permission=CHAT_MODERATE,
    schema=AddMemberRequest(),
    tags=TAGS,
    response_schemas=responds(MemberSchema, "The new member", 201),
)
def add_member(request: Request) -> dict[str, Any]:
    """Moderators add one of their contacts (admins: anyone) to a group room."""
    body = request.validated["body"]
    added = membership.add_member(
        request.dbsession,
        request.context.viewer,
        request.context.room_id,
        body["user_id"],
        body["role"],
    )
    audit(
        request,
        "chat_member.added",
        target_type="chat_room",
        target_id=request.context.room_id,
        user_id=added.user_id,
    )
    request.response.status = 201
    return membership.one_member_json(request.dbsession, added)


def _member_id(request: Request) -> int:
    value = parse_id(request.matchdict.get("user_id"))
    if value is None:
        raise NotFound("No such member of this room.")
    return value


@member.patch(
    permission=CHAT_MODERATE,
    schema=UpdateMemberRequest(),
    tags=TAGS,
    response_schemas=responds(MemberSchema, "The changed member"),
)
def update_member(request: Request) -> dict[str, Any]:
    """``role`` (member/moderator) and ``muted`` (a muted member reads but cannot post)."""
    changed = membership.update_member(
        request.dbsession,
        request.context.viewer,
        request.context.room_id,
        _member_id(request),
        request.validated["body"],
    )
    return membership.one_member_json(request.dbsession, changed)


@member.delete(
    permission=CHAT_MODERATE,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Removed from the room", 204),
)
def remove_member(request: Request) -> Response:
    user_id = _member_id(request)
    membership.remove_member(
        request.dbsession, request.context.viewer, request.context.room_id, user_id
    )
    audit(
        request,
        "chat_member.removed",
        target_type="chat_room",
        target_id=request.context.room_id,
        user_id=user_id,
    )
    return no_content()


# --- contacts -----------------------------------------------------------------------------


def contact_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.full_name, "role": user.role}


@contacts.get(
    permission=CHAT_CONTACTS,
    schema=ContactsRequest(),
    tags=TAGS,
    response_schemas=responds(ContactPage, "People the caller may start a direct chat with"),
)
def list_contacts(request: Request) -> dict[str, Any]:
    """Exactly the people ``POST /api/chat/rooms/`` accepts as ``user_id``, by name."""
    stmt = contacts_query(request.dbsession, request.context.viewer)
    order = ((User.last_name, "asc"), (User.first_name, "asc"), (User.id, "asc"))
    rows, next_cursor = paginate_request(request, stmt.order_by(None), order)
    return page_body([contact_json(u) for u in rows], next_cursor)
