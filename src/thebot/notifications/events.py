"""Notification domain events: pushed to the recipient's socket after commit.

``notify()`` records ``NotificationCreated`` when it stores an in-app notification;
``mark_read`` / ``mark_all_read`` record ``NotificationRead`` when the read state changes.

They say ``realtime = True`` rather than waiting for ``config.add_realtime_event``: this
package sits below ``thebot.realtime`` (import-linter layers) and is included before it
(``thebot.accounts`` includes it first), so the directive does not exist yet when its
``includeme`` runs; the gateway's publisher honours the class attribute all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thebot.events import DomainEvent


@dataclass(frozen=True)
class NotificationCreated(DomainEvent):
    """A notification was stored (``notification``: the REST notification object)."""

    name = "notification.created"
    realtime = True

    user_id: int = 0
    notification: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.user_id,)

    def payload(self) -> dict[str, Any]:
        return dict(self.notification)


@dataclass(frozen=True)
class NotificationsCreated(DomainEvent):
    """Notifications of several users stored at once (``notify_many``): one event in the
    transaction, and after commit one ``notification.created`` frame per user with their
    own notification (``publications``). ``notifications``: ``(user_id, object)`` pairs.
    Its sockets' frames are ``notification.created`` (``frame_type``), like one by one."""

    name = "notifications.created"
    frame_type = "notification.created"
    realtime = True

    notifications: tuple[tuple[int, dict[str, Any]], ...] = field(
        default=(), hash=False, compare=False
    )

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(user_id for user_id, _ in self.notifications)

    def publications(self) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
        """What the sockets get: each user, their own notification."""
        return [((user_id,), dict(item)) for user_id, item in self.notifications]


@dataclass(frozen=True)
class NotificationRead(DomainEvent):
    """Notifications of ``user_id`` were marked read: ``ids`` (one), or all of them
    (``all``); ``unread_count`` is what is left unread after the change."""

    name = "notification.read"
    realtime = True

    user_id: int = 0
    ids: tuple[int, ...] = ()
    all: bool = False
    unread_count: int = 0
    read_at: str | None = None

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.user_id,)

    def payload(self) -> dict[str, Any]:
        return {
            "ids": list(self.ids),
            "all": self.all,
            "unread_count": self.unread_count,
            "read_at": self.read_at,
        }
