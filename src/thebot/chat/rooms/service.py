"""Room operations: plain functions (session, acting user, values) raising domain errors;
the REST views and the socket handlers call the same ones. Each change records a
``chat.room.updated`` event for the room's members."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts.models import Role, User
from thebot.chat import access as rules
from thebot.chat.access import RoomAccess, room_access
from thebot.chat.contacts import contacts_clause, may_start_direct
from thebot.chat.events import RoomUpdated
from thebot.chat.models import ChatMember, ChatRoom, MemberRole, RoomType
from thebot.chat.objects import active_member_ids, room_event_json
from thebot.db import utcnow
from thebot.errors import Conflict, Forbidden, Invalid
from thebot.events import record

GROUP_CREATORS = frozenset({Role.ADMIN.value, Role.TEACHER.value, Role.TUTOR.value})
NOT_A_CONTACT = "Not a person you may start a chat with"


def publish_room(dbsession: Session, room: ChatRoom, also: Iterable[int] = ()) -> None:
    """Tell the room's members (and ``also``: people who just left) that it changed."""
    dbsession.flush()
    members = tuple(sorted({*active_member_ids(dbsession, room.id), *also}))
    data = room_event_json(dbsession, room)
    record(dbsession, RoomUpdated(room_id=room.id, members=members, data=data))


# --- listing ---------------------------------------------------------------------------------


def rooms_query(viewer: User, *, room_type: str | None = None, archived: bool = False) -> Select:
    """The viewer's rooms (active membership), most recent activity first."""
    stmt = (
        select(ChatRoom)
        .join(ChatMember, ChatMember.room_id == ChatRoom.id)
        .where(ChatMember.user_id == viewer.id, ChatMember.left_at.is_(None))
    )
    if room_type is not None:
        stmt = stmt.where(ChatRoom.type == room_type)
    if archived:
        return stmt.where(ChatRoom.archived_at.is_not(None))
    return stmt.where(ChatRoom.archived_at.is_(None))


LIST_ORDER = ((ChatRoom.activity_at, "desc"), (ChatRoom.id, "desc"))


def memberships(dbsession: Session, user_id: int, room_ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(room_ids))
    if not wanted:
        return {}
    rows = dbsession.scalars(
        select(ChatMember).where(ChatMember.user_id == user_id, ChatMember.room_id.in_(wanted))
    )
    return {m.room_id: m for m in rows}


# --- creating --------------------------------------------------------------------------------


def join(dbsession: Session, room: ChatRoom, user_id: int, **values: Any) -> ChatMember:
    """Make ``user_id`` an active member (back from having left, or new)."""
    member = dbsession.scalar(
        select(ChatMember).where(ChatMember.room_id == room.id, ChatMember.user_id == user_id)
    )
    if member is None:
        member = ChatMember(room_id=room.id, user_id=user_id, **values)
        dbsession.add(member)
    else:
        member.left_at = None
        member.joined_at = utcnow()
        for name, value in values.items():
            setattr(member, name, value)
    return member


def direct_room(dbsession: Session, viewer: User, user_id: int) -> tuple[ChatRoom, bool]:
    """The direct room of ``viewer`` and ``user_id``, made if missing: ``(room, created)``.

    One room per pair (a unique key on the ordered pair): when both sides ask at once,
    one insert wins and the other reads the winner's room.
    """
    if user_id == viewer.id or not may_start_direct(dbsession, viewer, user_id):
        raise Invalid("user_id", NOT_A_CONTACT)
    low, high = sorted((viewer.id, user_id))
    pair = select(ChatRoom).where(ChatRoom.direct_low_id == low, ChatRoom.direct_high_id == high)
    room = dbsession.scalar(pair)
    if room is None:
        try:
            with dbsession.begin_nested():
                room = ChatRoom(
                    type=RoomType.DIRECT.value,
                    created_by_id=viewer.id,
                    direct_low_id=low,
                    direct_high_id=high,
                )
                dbsession.add(room)
                dbsession.flush()
                for uid in (low, high):
                    dbsession.add(ChatMember(room_id=room.id, user_id=uid))
                dbsession.flush()
        except IntegrityError:  # the other side created it first
            room = dbsession.scalar(pair.execution_options(populate_existing=True))
            if room is None:
                raise
        else:
            publish_room(dbsession, room)
            return room, True
    returning = [
        m
        for m in dbsession.scalars(select(ChatMember).where(ChatMember.room_id == room.id))
        if m.left_at is not None
    ]
    for member in returning:
        join(dbsession, room, member.user_id)
    if returning:
        publish_room(dbsession, room)
    return room, False


def create_group(
    dbsession: Session, viewer: User, name: str, member_ids: Iterable[int]
) -> ChatRoom:
    """A group room named ``name``: the creator moderates; members must be their contacts."""
    if viewer.role not in GROUP_CREATORS:
        raise Forbidden("Only staff, teachers and tutors create group chats.")
    wanted = sorted(set(member_ids) - {viewer.id})
    check_contacts(dbsession, viewer, wanted, "member_ids")
    room = ChatRoom(type=RoomType.GROUP.value, name=name, created_by_id=viewer.id)
    dbsession.add(room)
    dbsession.flush()
    dbsession.add(ChatMember(room_id=room.id, user_id=viewer.id, role=MemberRole.MODERATOR.value))
    for uid in wanted:
        dbsession.add(ChatMember(room_id=room.id, user_id=uid))
    publish_room(dbsession, room)
    return room


def check_contacts(dbsession: Session, viewer: User, user_ids: list[int], field: str) -> None:
    if not user_ids:
        return
    found = set(
        dbsession.scalars(
            select(User.id).where(User.id.in_(user_ids), contacts_clause(dbsession, viewer))
        )
    )
    missing = [uid for uid in user_ids if uid not in found]
    if missing:
        listed = ", ".join(str(uid) for uid in missing)
        raise Invalid(field, f"{NOT_A_CONTACT}: {listed}")


# --- changing ----------------------------------------------------------------------------------


def update_room(
    dbsession: Session, viewer: User, room_id: int, changes: dict[str, Any]
) -> RoomAccess:
    """Rename or (un)lock a room (moderators)."""
    access = room_access(dbsession, viewer, room_id, lock=True)
    access.require(rules.MODERATE)
    room = access.room
    if "name" in changes:
        if room.type == RoomType.DIRECT.value:
            raise Invalid("name", "Direct chats have no name")
        room.name = changes["name"]
    if "locked" in changes:
        room.locked = bool(changes["locked"])
    publish_room(dbsession, room)
    return access


def leave_or_archive(dbsession: Session, viewer: User, room_id: int) -> str:
    """DELETE a room: a moderator archives it for everyone, a member leaves it.
    Returns ``"archived"`` or ``"left"``."""
    access = room_access(dbsession, viewer, room_id, lock=True)
    access.require(rules.LEAVE)
    room = access.room
    if access.is_moderator:
        if room.archived_at is None:
            room.archived_at = utcnow()
            publish_room(dbsession, room)
        return "archived"
    if room.type == RoomType.SUBJECT.value:
        raise Conflict("Subject rooms follow enrollments: you leave one with the enrollment.")
    assert access.member is not None
    access.member.left_at = utcnow()
    publish_room(dbsession, room, also=(viewer.id,))
    return "left"
