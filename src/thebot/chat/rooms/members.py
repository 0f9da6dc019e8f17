"""Room membership: list, add, change (role, mute), remove. Moderators manage group rooms;
a subject room's members follow enrollments (only role and mute change by hand)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.chat import access as rules
from thebot.chat.access import room_access
from thebot.chat.models import ChatMember, RoomType
from thebot.chat.objects import person, user_names
from thebot.chat.rooms.service import check_contacts, join, publish_room
from thebot.db import utcnow
from thebot.errors import Conflict, NotFound
from thebot.schemas import iso


def member_json(member: ChatMember, names: dict[int, str]) -> dict[str, Any]:
    return {
        "user": person(member.user_id, names),
        "role": member.role,
        "muted": member.muted,
        "read_only": member.read_only,
        "joined_at": iso(member.joined_at),
    }


def list_members(dbsession: Session, viewer: User, room_id: int) -> list[dict[str, Any]]:
    access = room_access(dbsession, viewer, room_id)
    members = list(
        dbsession.scalars(
            select(ChatMember)
            .where(ChatMember.room_id == access.room.id, ChatMember.left_at.is_(None))
            .order_by(ChatMember.id)
        )
    )
    names = user_names(dbsession, (m.user_id for m in members))
    return [member_json(m, names) for m in members]


def one_member_json(dbsession: Session, member: ChatMember) -> dict[str, Any]:
    return member_json(member, user_names(dbsession, [member.user_id]))


def _group_only(room_type: str) -> None:
    if room_type == RoomType.SUBJECT.value:
        raise Conflict("Subject room members follow enrollments.")


def add_member(
    dbsession: Session, viewer: User, room_id: int, user_id: int, role: str = "member"
) -> ChatMember:
    """Add one of the moderator's contacts (admins: anyone active) to a group room."""
    access = room_access(dbsession, viewer, room_id, lock=True)
    access.require(rules.MODERATE)
    _group_only(access.room.type)
    check_contacts(dbsession, viewer, [user_id], "user_id")
    member = join(dbsession, access.room, user_id, role=role, muted=False)
    publish_room(dbsession, access.room)
    return member


def _active_member(dbsession: Session, room_id: int, user_id: int) -> ChatMember:
    member = dbsession.scalar(
        select(ChatMember).where(
            ChatMember.room_id == room_id,
            ChatMember.user_id == user_id,
            ChatMember.left_at.is_(None),
        )
    )
    if member is None:
        raise NotFound("No such member of this room.")
    return member


def update_member(
    dbsession: Session, viewer: User, room_id: int, user_id: int, changes: dict[str, Any]
) -> ChatMember:
    """Change a member's ``role`` or ``muted`` (moderators)."""
    access = room_access(dbsession, viewer, room_id, lock=True)
    access.require(rules.MODERATE)
    member = _active_member(dbsession, room_id, user_id)
    for name in ("role", "muted"):
        if name in changes:
            setattr(member, name, changes[name])
    publish_room(dbsession, access.room)
    return member


def remove_member(dbsession: Session, viewer: User, room_id: int, user_id: int) -> None:
    """Take someone out of a group room (moderators); they keep nothing of it."""
    access = room_access(dbsession, viewer, room_id, lock=True)
    access.require(rules.MODERATE)
    _group_only(access.room.type)
    member = _active_member(dbsession, room_id, user_id)
    member.left_at = utcnow()
    publish_room(dbsession, access.room, also=(user_id,))
