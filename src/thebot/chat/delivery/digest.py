"""Email digests: at most one email per member per room per ``CHAT_EMAIL_DIGEST_MINUTES``.

The first message a member misses schedules a digest (``ChatMember.digest_due_at`` and one
delayed task through the outbox, later still during their quiet hours); messages arriving
before it is due join it. The task mails the messages the member has still not read and
clears the schedule; it does nothing when run twice or when everything was read meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from sqlalchemy import select

from thebot.accounts.models import User
from thebot.chat.models import ChatMember, ChatMessage, ChatRoom
from thebot.db import utcnow
from thebot.notifications import service as notifications
from thebot.tasks import enqueue, enqueue_delayed, task

log = logging.getLogger(__name__)

DIGEST_TASK = "chat.send_digest"
CATEGORY = "chat"
MAX_LINES = 20


MISSING: Any = object()  # wants_email: look the preferences up


def wants_email(request: Any, user: User, pref: Any = MISSING) -> bool:
    """``pref``: the user's preferences when the caller has them (``None``: no row)."""
    if pref is MISSING:
        pref = notifications.get_preferences(request.dbsession, user.id)
    known = notifications.categories(request.registry)
    if CATEGORY not in known or not user.email or not user.is_active:
        return False
    return bool(notifications.effective_channels(pref, known)[CATEGORY]["email"])


def schedule_digest(request: Any, member: ChatMember, user: User, pref: Any = MISSING) -> None:
    """Make sure a digest is coming for ``member`` (one per window, not one per message).
    ``pref``: the user's notification preferences, when the caller has them."""
    if member.digest_due_at is not None:
        return
    if pref is MISSING:
        pref = notifications.get_preferences(request.dbsession, user.id)
    if not wants_email(request, user, pref):
        return
    now = utcnow()
    delay = dt.timedelta(minutes=int(request.registry.settings["chat_email_digest_minutes"]))
    quiet = notifications.quiet_hours_delay(pref, now + delay)
    if quiet is not None:
        delay += quiet
    member.digest_due_at = now + delay
    ms = math.ceil(delay.total_seconds() * 1000)
    enqueue_delayed(request, DIGEST_TASK, ms, member.room_id, member.user_id)


def room_label(room: ChatRoom, names: dict[int, str], user_id: int) -> str:
    if room.name:
        return room.name
    others = [n for uid, n in names.items() if uid != user_id]
    return others[0] if others else "a direct chat"


@task(DIGEST_TASK, queue="email", max_retries=5, min_backoff=10_000)
def send_digest(request: Any, room_id: int, user_id: int) -> None:
    """Mail ``user_id`` the messages of ``room_id`` they have not read (idempotent)."""
    dbsession = request.dbsession
    member = dbsession.scalar(
        select(ChatMember)
        .where(ChatMember.room_id == room_id, ChatMember.user_id == user_id)
        .with_for_update()
    )
    if member is None or member.digest_due_at is None:
        return
    member.digest_due_at = None
    user = dbsession.get(User, user_id)
    room = dbsession.get(ChatRoom, room_id)
    if user is None or room is None or member.left_at is not None:
        return
    after = max(member.last_read_message_id or 0, member.digest_through_id or 0)
    unread = list(
        dbsession.scalars(
            select(ChatMessage)
            .where(
                ChatMessage.room_id == room_id,
                ChatMessage.id > after,
                ChatMessage.deleted_at.is_(None),
                ChatMessage.author_id != user_id,
            )
            .order_by(ChatMessage.id)
        )
    )
    if not unread or not wants_email(request, user):
        return
    member.digest_through_id = unread[-1].id
    from thebot.chat.objects import user_names

    names = user_names(dbsession, [m.author_id for m in unread])
    label = room_label(room, names, user_id)
    lines = [
        f"{names.get(m.author_id, 'deleted user')}: {m.text[:300] or '(attachment)'}"
        for m in unread[-MAX_LINES:]
    ]
    subject = f"{len(unread)} new message{'s' if len(unread) != 1 else ''} in {label}"
    body = "\n".join(lines) + notifications.EMAIL_FOOTER
    enqueue(request, notifications.EMAIL_TASK, [user.email], subject, body)
    log.info("chat digest of room %s for user %s: %d messages", room_id, user_id, len(unread))
