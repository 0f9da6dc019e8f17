"""Chat: direct, group and subject rooms, messages with attachments, read state; events
after commit to exactly the room's members (``thebot.chat.events``), in-app notifications
and email digests for members who are away. REST views and socket actions call the same
services (``rooms.service``, ``messages.service``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def can_view_attachment(dbsession: Session, viewer: Any, media: Any) -> bool:
    """A chat attachment is served to those who see its message's room."""
    from thebot.chat.access import message_access
    from thebot.errors import NotFound

    try:
        message_access(dbsession, viewer, media.owner_id)
    except NotFound:
        return False
    return True


def includeme(config: Any) -> None:
    from thebot.accounts.events import PeopleChanged
    from thebot.catalog.events import EnrollmentChanged, SubjectChanged
    from thebot.chat.delivery.subscribers import tell_members_away
    from thebot.chat.events import CHAT_EVENTS, MessageCreated
    from thebot.chat.messages.actions import ACTIONS
    from thebot.chat.objects import OWNER_CHAT_MESSAGE
    from thebot.chat.retention import RETENTION_CRON, RETENTION_TASK
    from thebot.chat.subjects import follow_enrollment, follow_parents, follow_subject
    from thebot.events import Committing

    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        "chat", "Chat messages while you are away (one email digest per room)", email=True
    )
    config.include("thebot.media")  # config.add_media_owner: attachments for room members
    if _has_directive(config, "add_media_owner"):
        config.add_media_owner(OWNER_CHAT_MESSAGE, can_view_attachment)
    config.add_subscriber(follow_enrollment, [Committing, EnrollmentChanged])
    config.add_subscriber(follow_parents, [Committing, PeopleChanged])
    config.add_subscriber(follow_subject, [Committing, SubjectChanged])
    config.add_subscriber(tell_members_away, [Committing, MessageCreated])
    config.add_periodic_task(RETENTION_TASK, cron=RETENTION_CRON)
    if _has_directive(config, "add_realtime_event"):  # the gateway (thebot.realtime)
        for event_class in CHAT_EVENTS:
            config.add_realtime_event(event_class)
        for name, handler in ACTIONS.items():
            config.add_realtime_action(name, handler)
    config.scan("thebot.chat")


def _has_directive(config: Any, name: str) -> bool:
    try:
        getattr(config, name)
    except AttributeError:
        return False
    return True
