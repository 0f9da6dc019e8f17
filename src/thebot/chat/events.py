"""Chat domain events: published after commit to exactly the room's members.

Each carries its frame ``data`` (the REST object: a message, a room, a read state) and the
member ids it goes to, so the real-time gateway frames it as
``{"id", "type": event.name, "data": event.payload()}`` for each of ``user_ids``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thebot.events import DomainEvent


@dataclass(frozen=True)
class ChatEvent(DomainEvent):
    room_id: int = 0
    members: tuple[int, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.members

    def payload(self) -> dict[str, Any]:
        return self.data


@dataclass(frozen=True)
class MessageCreated(ChatEvent):
    """A message was sent (``data``: the message object)."""

    name = "chat.message.created"


@dataclass(frozen=True)
class MessageUpdated(ChatEvent):
    """A message was edited, pinned or unpinned (``data``: the message object)."""

    name = "chat.message.updated"


@dataclass(frozen=True)
class MessageDeleted(ChatEvent):
    """A message was deleted (``data``: the placeholder message object)."""

    name = "chat.message.deleted"


@dataclass(frozen=True)
class RoomUpdated(ChatEvent):
    """A room changed: name, lock, archive, or its members (``data``: the room object
    without the per-member fields; ``members`` includes anyone who just left)."""

    name = "chat.room.updated"


@dataclass(frozen=True)
class ReadMoved(ChatEvent):
    """A member's read state moved (``data``: room_id, user_id, last_read_message_id,
    unread_count)."""

    name = "chat.read"


@dataclass(frozen=True)
class Typing(ChatEvent):
    """Someone is typing (socket only; ``data``: room_id, user_id)."""

    name = "chat.typing"


CHAT_EVENTS = (MessageCreated, MessageUpdated, MessageDeleted, RoomUpdated, ReadMoved, Typing)
