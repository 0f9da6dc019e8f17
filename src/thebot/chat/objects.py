"""The JSON of rooms and messages (REST bodies and event payloads), built for many rows at
once in a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.chat.models import ChatMember, ChatMessage, ChatRoom, RoomType
from thebot.media.models import MediaFile
from thebot.media.service import MEDIA_FIELDS, media_json
from thebot.schemas import iso

OWNER_CHAT_MESSAGE = "chat_message"  # MediaFile.owner_type of a message's attachments
DELETED_USER = "deleted user"


def user_names(dbsession: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = dbsession.execute(
        select(User.id, User.first_name, User.last_name, User.username).where(User.id.in_(wanted))
    )
    return {r.id: display_name(r.first_name, r.last_name, r.username) for r in rows}


def display_name(first_name: str | None, last_name: str | None, username: str) -> str:
    """A person's name in chat: first and last name, else the username."""
    return f"{first_name or ''} {last_name or ''}".strip() or username


def person(user_id: int | None, names: dict[int, str]) -> dict[str, Any]:
    if user_id is None or user_id not in names:
        return {"id": None, "name": DELETED_USER}
    return {"id": user_id, "name": names[user_id]}


def attachments_of(dbsession: Session, message_ids: Iterable[int]) -> dict[int, list[dict]]:
    wanted = sorted(set(message_ids))
    found: dict[int, list[dict]] = {}
    if not wanted:
        return found
    columns = [getattr(MediaFile, name) for name in MEDIA_FIELDS]
    rows = dbsession.execute(
        select(MediaFile.owner_id, *columns)
        .where(MediaFile.owner_type == OWNER_CHAT_MESSAGE, MediaFile.owner_id.in_(wanted))
        .order_by(MediaFile.id)
    )
    for row in rows:
        found.setdefault(row[0], []).append(media_json(*row[1:]))
    return found


def message_json(
    message: ChatMessage, names: dict[int, str], attachments: dict[int, list[dict]]
) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "room_id": message.room_id,
        "author": person(message.author_id, names),
        "text": "" if deleted else message.text,
        "reply_to": message.reply_to_id,
        "attachments": [] if deleted else attachments.get(message.id, []),
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "deleted_at": iso(message.deleted_at),
        "pinned": message.pinned_at is not None,
        "pinned_at": iso(message.pinned_at),
    }


def messages_json(dbsession: Session, messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """The JSON of ``messages`` (two queries: authors and attachments)."""
    names = user_names(dbsession, (m.author_id for m in messages))
    files = attachments_of(dbsession, (m.id for m in messages if m.deleted_at is None))
    return [message_json(m, names, files) for m in messages]


def one_message_json(dbsession: Session, message: ChatMessage) -> dict[str, Any]:
    return messages_json(dbsession, [message])[0]


def new_message_json(
    dbsession: Session, message: ChatMessage, author: User, attached: int
) -> dict[str, Any]:
    """The JSON of a message ``author`` has just sent: no query for the author's name, nor
    for the attachments when none were ``attached``."""
    names = {author.id: display_name(author.first_name, author.last_name, author.username)}
    files = attachments_of(dbsession, [message.id]) if attached else {}
    return message_json(message, names, files)


# --- rooms ---------------------------------------------------------------------------------


def unread_counts(dbsession: Session, user_id: int, room_ids: Iterable[int]) -> dict[int, int]:
    """Per room: messages by others, not deleted, after the user's read state. The one
    definition of ``unread_count`` (room list, room detail, read answer and event)."""
    wanted = sorted(set(room_ids))
    if not wanted:
        return {}
    stmt = (
        select(ChatMember.room_id, func.count(ChatMessage.id))
        .join(
            ChatMessage,
            and_(
                ChatMessage.room_id == ChatMember.room_id,
                ChatMessage.id > func.coalesce(ChatMember.last_read_message_id, 0),
                ChatMessage.deleted_at.is_(None),
                or_(ChatMessage.author_id.is_(None), ChatMessage.author_id != user_id),
            ),
        )
        .where(ChatMember.user_id == user_id, ChatMember.room_id.in_(wanted))
        .group_by(ChatMember.room_id)
    )
    counts = dict.fromkeys(wanted, 0)
    counts.update({room_id: int(n) for room_id, n in dbsession.execute(stmt)})
    return counts


def last_messages(dbsession: Session, room_ids: Iterable[int]) -> dict[int, ChatMessage]:
    wanted = sorted(set(room_ids))
    if not wanted:
        return {}
    newest = (
        select(func.max(ChatMessage.id))
        .where(ChatMessage.room_id.in_(wanted))
        .group_by(ChatMessage.room_id)
    )
    rows = dbsession.scalars(select(ChatMessage).where(ChatMessage.id.in_(newest)))
    return {m.room_id: m for m in rows}


def member_counts(dbsession: Session, room_ids: Iterable[int]) -> dict[int, int]:
    wanted = sorted(set(room_ids))
    if not wanted:
        return {}
    rows = dbsession.execute(
        select(ChatMember.room_id, func.count())
        .where(ChatMember.room_id.in_(wanted), ChatMember.left_at.is_(None))
        .group_by(ChatMember.room_id)
    )
    counts = dict.fromkeys(wanted, 0)
    counts.update({room_id: int(n) for room_id, n in rows})
    return counts


def rooms_json(
    dbsession: Session,
    rooms: Sequence[ChatRoom],
    *,
    viewer_id: int | None = None,
    memberships: dict[int, ChatMember] | None = None,
) -> list[dict[str, Any]]:
    """The JSON of ``rooms``; with ``viewer_id``, the viewer's own fields too (role, mute,
    read state, ``unread_count``). A constant number of queries for any number of rooms."""
    ids = [r.id for r in rooms]
    last = last_messages(dbsession, ids)
    counts = member_counts(dbsession, ids)
    people = [u for r in rooms for u in (r.direct_low_id, r.direct_high_id)]
    names = user_names(dbsession, [*people, *(m.author_id for m in last.values())])
    files = attachments_of(dbsession, (m.id for m in last.values() if m.deleted_at is None))
    unread = unread_counts(dbsession, viewer_id, ids) if viewer_id is not None else {}
    items = []
    for room in rooms:
        item = room_shared_json(room, counts.get(room.id, 0), names)
        message = last.get(room.id)
        item["last_message"] = message_json(message, names, files) if message else None
        if viewer_id is not None:
            member = (memberships or {}).get(room.id)
            item.update(viewer_fields(member, unread.get(room.id, 0)))
        items.append(item)
    return items


def room_shared_json(room: ChatRoom, members_count: int, names: dict[int, str]) -> dict[str, Any]:
    direct = room.type == RoomType.DIRECT.value
    pair = (room.direct_low_id, room.direct_high_id) if direct else ()
    return {
        "id": room.id,
        "type": room.type,
        "name": room.name,
        "subject_id": room.subject_id,
        "locked": room.locked,
        "archived": room.archived_at is not None,
        "archived_at": iso(room.archived_at),
        "created_at": iso(room.created_at),
        "activity_at": iso(room.activity_at),
        "members_count": members_count,
        "participants": [person(u, names) for u in pair],
    }


def viewer_fields(member: ChatMember | None, unread: int) -> dict[str, Any]:
    active = member is not None and member.left_at is None
    return {
        "role": member.role if active else None,  # type: ignore[union-attr]
        "muted": bool(member.muted) if active else False,  # type: ignore[union-attr]
        "read_only": bool(member.read_only) if active else False,  # type: ignore[union-attr]
        "last_read_message_id": member.last_read_message_id if member else None,
        "unread_count": unread if active else 0,
    }


def room_event_json(dbsession: Session, room: ChatRoom) -> dict[str, Any]:
    """A room's shared JSON (the ``chat.room.updated`` payload)."""
    return rooms_json(dbsession, [room])[0]


def active_member_ids(dbsession: Session, room_id: int) -> tuple[int, ...]:
    return tuple(
        sorted(
            dbsession.scalars(
                select(ChatMember.user_id).where(
                    ChatMember.room_id == room_id, ChatMember.left_at.is_(None)
                )
            )
        )
    )
