"""Message operations: plain functions (session, acting user, values) raising domain errors.
REST views and socket handlers call the same ones (same rules, rate limit and events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from thebot.accounts.auth.ratelimit import hit
from thebot.accounts.models import User
from thebot.chat import access as rules
from thebot.chat.access import RoomAccess, message_access, room_access
from thebot.chat.events import MessageCreated, MessageDeleted, MessageUpdated, ReadMoved
from thebot.chat.models import ChatMember, ChatMessage, ChatRoom, RoomType
from thebot.chat.objects import (
    OWNER_CHAT_MESSAGE,
    active_member_ids,
    new_message_json,
    one_message_json,
    unread_counts,
)
from thebot.chat.rooms.service import join, publish_room
from thebot.db import table_of, utcnow
from thebot.errors import DomainError, Forbidden, Invalid, NotFound
from thebot.events import record
from thebot.media.models import MediaFile

MAX_TEXT = 10_000
SEND_SCOPE = "chat-send"


class RateLimited(DomainError):
    """Too many messages (429, ``Retry-After``)."""

    status = 429


def registry_of(dbsession: Session) -> Any:
    request = dbsession.info.get("request")
    return request.registry if request is not None else dbsession.info.get("registry")


def settings_of(dbsession: Session) -> dict[str, Any]:
    registry = registry_of(dbsession)
    return registry.settings if registry is not None else {}


def check_send_rate(dbsession: Session, user_id: int) -> None:
    """Count one message of ``user_id`` against ``CHAT_SEND_RATE`` (REST and socket)."""
    registry = registry_of(dbsession)
    if registry is None or not registry.settings.get("rate_limit_enabled", True):
        return
    # the window (one more storage round trip) is read only for a refused hit: an allowed
    # message sends no headers of this limit
    state = hit(
        registry, SEND_SCOPE, str(user_id), registry.settings["chat_send_rate"], window=False
    )
    if state is None or state.allowed:
        return
    import time

    retry_after = state.retry_after(time.time())
    raise RateLimited(
        f"Too many messages; try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after), **state.headers()},
    )


def _publish(
    dbsession: Session,
    kind: type,
    message: ChatMessage,
    data: dict[str, Any] | None = None,
    members: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """Record ``kind`` for the room's members; ``data`` (the message JSON) and ``members``
    (the active member ids) when the caller has them."""
    dbsession.flush()
    if data is None:
        data = one_message_json(dbsession, message)
    if members is None:
        members = active_member_ids(dbsession, message.room_id)
    record(dbsession, kind(room_id=message.room_id, members=members, data=data))
    return data


def _move_read(member: ChatMember, message_id: int) -> bool:
    """Never backwards; ``True`` when it moved."""
    if member.last_read_message_id is not None and member.last_read_message_id >= message_id:
        return False
    member.last_read_message_id = message_id
    return True


# Built once, on the tables: no statement construction per message and no ORM bulk-update
# pass (the loaded objects are told the new values with ``set_committed_value``).
_ROOMS, _MEMBERS = table_of(ChatRoom), table_of(ChatMember)
BUMP_ROOM = (
    update(_ROOMS).where(_ROOMS.c.id == bindparam("room_id")).values(activity_at=bindparam("at"))
)
MOVE_READ = (
    update(_MEMBERS)
    .where(
        _MEMBERS.c.id == bindparam("member_id"),
        or_(
            _MEMBERS.c.last_read_message_id.is_(None),
            _MEMBERS.c.last_read_message_id < bindparam("message_id"),
        ),
    )
    .values(last_read_message_id=bindparam("message_id"))
)


def send_message(
    dbsession: Session,
    viewer: User,
    room_id: int,
    text: str,
    reply_to: int | None = None,
    *,
    attach: Callable[[ChatMessage], int] | None = None,
    access: RoomAccess | None = None,
) -> dict[str, Any]:
    """Post ``text`` in a room; returns the message object (also the event's payload).

    ``attach(message)`` stores the uploads of a multipart request (returns how many), after
    the message has an id and before anyone is told of it. ``access``: the viewer's access
    to the room when the caller has it already (the REST resource, same transaction).
    """
    if access is None or access.room.id != room_id or access.viewer is not viewer:
        access = room_access(dbsession, viewer, room_id, member_ids=True)
    access.require(rules.POST)
    check_send_rate(dbsession, viewer.id)
    text = text or ""
    if len(text) > MAX_TEXT:
        raise Invalid("text", f"At most {MAX_TEXT} characters")
    if reply_to is not None:
        target = dbsession.get(ChatMessage, reply_to)
        if target is None or target.room_id != room_id:
            raise Invalid("reply_to", "Not a message of this room")
    room = access.room
    message = ChatMessage(room_id=room.id, author_id=viewer.id, text=text, reply_to_id=reply_to)
    dbsession.add(message)
    dbsession.flush()
    attached = attach(message) if attach is not None else 0
    if not text.strip() and not attached:
        raise Invalid("text", "Write something (1 to 10,000 characters) or attach a file")
    # Bump the activity time without reading the room row again, and move the author's read
    # state (never backwards, also against a concurrent mark-read): plain UPDATEs, the
    # loaded objects told the new values (no unit-of-work flush, no evaluation of the
    # criteria against the session).
    dbsession.execute(BUMP_ROOM, {"room_id": room.id, "at": message.created_at})
    set_committed_value(room, "activity_at", message.created_at)
    dbsession.expire(room, ["updated_at"])
    member = access.member
    assert member is not None
    if member.last_read_message_id is None or member.last_read_message_id < message.id:
        dbsession.execute(MOVE_READ, {"member_id": member.id, "message_id": message.id})
        set_committed_value(member, "last_read_message_id", message.id)
    members: tuple[int, ...] | None = access.member_ids
    if members is None:
        members = active_member_ids(dbsession, room.id)
    pair = {room.direct_low_id, room.direct_high_id} - {None}
    # a new message brings back whoever left a direct room (both there: nothing to look up)
    if room.type == RoomType.DIRECT.value and not pair <= set(members or ()):
        gone = dbsession.scalars(
            select(ChatMember).where(
                ChatMember.room_id == room.id, ChatMember.left_at.is_not(None)
            )
        ).all()
        for member in gone:
            join(dbsession, room, member.user_id)
        if gone:
            publish_room(dbsession, room)
            members = None  # read again with those back
    data = new_message_json(dbsession, message, viewer, attached)
    return _publish(dbsession, MessageCreated, message, data, members)


def edit_message(dbsession: Session, viewer: User, message_id: int, text: str) -> dict[str, Any]:
    """The author edits within ``CHAT_EDIT_WINDOW`` seconds; ``edited_at`` records it."""
    message, access = message_access(dbsession, viewer, message_id)
    if message.author_id != viewer.id or not access.can(rules.POST):
        raise Forbidden("Only the author may edit a message, while they may post in the room.")
    if message.deleted_at is not None:
        raise Forbidden("A deleted message cannot be edited.")
    window = dt.timedelta(seconds=int(settings_of(dbsession).get("chat_edit_window", 900)))
    now = utcnow()
    if now - message.created_at > window:
        raise Forbidden("The time to edit this message has passed.")
    text = text or ""
    if not text.strip() or len(text) > MAX_TEXT:
        raise Invalid("text", f"1 to {MAX_TEXT} characters")
    message.text = text
    message.edited_at = now
    return _publish(dbsession, MessageUpdated, message)


def _discard_attachments(dbsession: Session, message_id: int) -> None:
    files = dbsession.scalars(
        select(MediaFile).where(
            MediaFile.owner_type == OWNER_CHAT_MESSAGE, MediaFile.owner_id == message_id
        )
    ).all()
    request = dbsession.info.get("request")
    for media in files:
        if request is not None:
            from thebot.media.service import discard_media

            discard_media(request, media)  # the file goes once the deletion commits
        else:
            dbsession.delete(media)


def delete_message(dbsession: Session, viewer: User, message_id: int) -> dict[str, Any]:
    """Soft delete (the author or a moderator): the body and files go, a placeholder stays."""
    message, access = message_access(dbsession, viewer, message_id)
    own = message.author_id == viewer.id and access.is_member
    if not (own or access.can(rules.MODERATE)):
        raise Forbidden("Only the author or a moderator may delete a message.")
    if message.deleted_at is None:
        message.deleted_at = utcnow()
        message.text = ""
        message.pinned_at = None
        _discard_attachments(dbsession, message.id)
    return _publish(dbsession, MessageDeleted, message)


def pin_message(
    dbsession: Session, viewer: User, message_id: int, pinned: bool = True
) -> dict[str, Any]:
    """Pin (or unpin) a message (moderators)."""
    message, access = message_access(dbsession, viewer, message_id)
    access.require(rules.MODERATE)
    if message.deleted_at is not None:
        raise Forbidden("A deleted message cannot be pinned.")
    if pinned and message.pinned_at is None:
        message.pinned_at, message.pinned_by_id = utcnow(), viewer.id
    elif not pinned:
        message.pinned_at, message.pinned_by_id = None, None
    return _publish(dbsession, MessageUpdated, message)


def mark_read(dbsession: Session, viewer: User, room_id: int, message_id: int) -> int:
    """Move the viewer's read state to ``message_id`` (never backwards; idempotent); returns
    the room's ``unread_count``."""
    access = room_access(dbsession, viewer, room_id)
    access.require(rules.READ)
    message = dbsession.get(ChatMessage, message_id)
    if message is None or message.room_id != room_id:
        raise NotFound("No such message in this room.")
    assert access.member is not None
    moved = _move_read(access.member, message_id)
    dbsession.flush()
    count = unread_counts(dbsession, viewer.id, [room_id])[room_id]
    if moved:
        data = {
            "room_id": room_id,
            "user_id": viewer.id,
            "last_read_message_id": access.member.last_read_message_id,
            "unread_count": count,
        }
        members = active_member_ids(dbsession, room_id)
        record(dbsession, ReadMoved(room_id=room_id, members=members, data=data))
    return count
