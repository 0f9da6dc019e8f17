"""A room's history, newest first, and search within it (PostgreSQL full-text, SQLite LIKE)."""

from __future__ import annotations

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.chat.access import room_access
from thebot.chat.models import TS_CONFIG, ChatMessage, message_document
from thebot.errors import NotFound

HISTORY_ORDER = ((ChatMessage.id, "desc"),)


def _in_room(dbsession: Session, room_id: int, message_id: int, name: str) -> None:
    """``before``/``after`` must name a message of this room (another room's id is a 404)."""
    found = dbsession.scalar(
        select(ChatMessage.id).where(ChatMessage.id == message_id, ChatMessage.room_id == room_id)
    )
    if found is None:
        raise NotFound(f"No such message in this room ({name}).")


def history_query(
    dbsession: Session,
    viewer: User,
    room_id: int,
    *,
    before: int | None = None,
    after: int | None = None,
    q: str | None = None,
) -> Select:
    """The room's messages the viewer may read, filtered; order with ``HISTORY_ORDER``."""
    access = room_access(dbsession, viewer, room_id)
    stmt = select(ChatMessage).where(ChatMessage.room_id == access.room.id)
    if before is not None:
        _in_room(dbsession, room_id, before, "before")
        stmt = stmt.where(ChatMessage.id < before)
    if after is not None:
        _in_room(dbsession, room_id, after, "after")
        stmt = stmt.where(ChatMessage.id > after)
    if q:
        stmt = stmt.where(ChatMessage.deleted_at.is_(None), matches(dbsession, q))
    return stmt


def matches(dbsession: Session, q: str):
    if dbsession.get_bind().dialect.name == "postgresql":
        # The GIN index ix_chat_message_text_fts is on this very expression.
        query = func.plainto_tsquery(literal_column(f"'{TS_CONFIG}'::regconfig"), q)
        return message_document(ChatMessage.text).op("@@")(query)
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ChatMessage.text.ilike(f"%{escaped}%", escape="\\")
