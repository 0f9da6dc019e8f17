"""What a user may do in a room: the one place REST resources and socket handlers ask.

- Active members (``left_at`` unset) see the room; admins also see every group and subject
  room (to moderate it), never other people's direct rooms. Everyone else: 404.
- Members post unless muted, read-only (parents in subject rooms) or the room is locked
  (moderators still post) or archived (nobody does).
- Moderators (the creator of a group, a subject room's teacher) and admins moderate group
  and subject rooms: rename, lock, archive, manage members, pin, delete others' messages.
  Direct rooms have no moderators.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, cast, func, select
from sqlalchemy.orm import Session, aliased

from thebot.accounts.models import Role, User
from thebot.chat.models import ChatMember, ChatMessage, ChatRoom, MemberRole, RoomType
from thebot.errors import Forbidden, NotFound

VIEW = "view"
POST = "post"
READ = "read"  # move one's read state
LEAVE = "leave"  # DELETE the room: leave (member) or archive (moderator)
MODERATE = "moderate"


@dataclass
class RoomAccess:
    room: ChatRoom
    viewer: User
    member: ChatMember | None
    member_ids: tuple[int, ...] | None = None  # the active members, when asked for

    @property
    def is_member(self) -> bool:
        return self.member is not None and self.member.left_at is None

    @property
    def is_admin(self) -> bool:
        return self.viewer.role == Role.ADMIN.value

    @property
    def is_moderator(self) -> bool:
        if self.room.type == RoomType.DIRECT.value:
            return False
        if self.is_admin:
            return True
        return self.is_member and self.member.role == MemberRole.MODERATOR.value  # type: ignore[union-attr]

    @property
    def visible(self) -> bool:
        if not self.viewer.is_active:
            return False
        return self.is_member or (self.is_admin and self.room.type != RoomType.DIRECT.value)

    def actions(self) -> frozenset[str]:
        if not self.visible:
            return frozenset()
        found = {VIEW}
        archived = self.room.archived_at is not None
        if self.is_member:
            found.add(READ)
            member = self.member
            assert member is not None
            blocked = (
                member.muted or member.read_only or (self.room.locked and not self.is_moderator)
            )
            if not archived and not blocked:
                found.add(POST)
        if self.is_member or self.is_moderator:
            found.add(LEAVE)
        if self.is_moderator and not archived:
            found.add(MODERATE)
        return frozenset(found)

    def can(self, action: str) -> bool:
        return action in self.actions()

    def require(self, action: str) -> None:
        """``Forbidden`` unless the viewer may do ``action`` (they see the room)."""
        if not self.can(action):
            raise Forbidden(REFUSALS.get(action, "You may not do this in this room."))


REFUSALS = {
    POST: "You cannot post in this room (muted, read-only, locked or archived).",
    READ: "Only members have a read state in this room.",
    MODERATE: "Only the room's moderators may do this.",
    LEAVE: "You are not a member of this room.",
}


def room_access(
    dbsession: Session,
    viewer: User,
    room_id: int,
    *,
    lock: bool = False,
    member_ids: bool = False,
) -> RoomAccess:
    """The viewer's access to room ``room_id``; ``NotFound`` when they may not see it.

    One query: the room and the viewer's membership row (outer join); ``lock`` locks the
    room row only; ``member_ids`` also reads the active members' ids (a subquery: what a new
    message is published to), sorted."""
    dialect = dbsession.get_bind().dialect.name
    stmt = _access_statement(dialect, lock, member_ids)
    row = dbsession.execute(stmt, {"viewer_id": viewer.id, "room_id": room_id}).first()
    if row is None:
        raise NotFound("No such chat room.")
    access = RoomAccess(row[0], viewer, row[1])
    if not access.visible:
        raise NotFound("No such chat room.")
    if member_ids:
        text = str(tuple(row)[2] or "")  # the aggregate: "3,5,8", NULL for no member
        access.member_ids = tuple(sorted(int(i) for i in text.split(","))) if text else ()
    return access


@functools.lru_cache(maxsize=8)  # per dialect, lock and member_ids: built once
def _access_statement(dialect: str, lock: bool, member_ids: bool) -> Select:
    stmt = select(ChatRoom, ChatMember)
    if member_ids:
        stmt = stmt.add_columns(_member_ids_column(dialect))
    stmt = stmt.outerjoin(
        ChatMember,
        and_(ChatMember.room_id == ChatRoom.id, ChatMember.user_id == bindparam("viewer_id")),
    ).where(ChatRoom.id == bindparam("room_id"))
    return stmt.with_for_update(of=ChatRoom) if lock else stmt


def _member_ids_column(dialect: str) -> Any:
    """The room's active member ids as one comma-separated string (an aggregate each
    database has: ``string_agg`` on PostgreSQL, ``group_concat`` on SQLite)."""
    others = aliased(ChatMember)
    user_id = cast(others.user_id, String)
    if dialect == "postgresql":
        joined = func.string_agg(user_id, ",")
    else:
        joined = func.group_concat(user_id, ",")
    return (
        select(joined)
        .where(others.room_id == ChatRoom.id, others.left_at.is_(None))
        .scalar_subquery()
    )


def message_access(
    dbsession: Session, viewer: User, message_id: int
) -> tuple[ChatMessage, RoomAccess]:
    """A message and the viewer's access to its room (``NotFound`` for an invisible room)."""
    message = dbsession.get(ChatMessage, message_id)
    if message is None:
        raise NotFound("No such message.")
    access = room_access(dbsession, viewer, message.room_id)
    return message, access
