"""In the transaction of a new message: members who are not connected get an in-app
notification (category ``chat``) and an email digest on its way (``digest``).

A constant number of queries for any number of members away: their accounts with their
memberships in one query, their notification preferences in another, the notifications in
one insert and one event."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.chat.delivery.digest import schedule_digest
from thebot.chat.delivery.presence import connected
from thebot.chat.events import MessageCreated
from thebot.chat.models import ChatMember, ChatRoom
from thebot.events import Committing, without_savepoint
from thebot.notifications.service import notify_many, preferences_of

log = logging.getLogger(__name__)
KIND = "chat.message"


@without_savepoint  # its own, only when someone is away (most messages: nobody to tell)
def tell_members_away(committing: Committing, event: MessageCreated) -> None:
    request = committing.request
    if request is None:  # no request (a bare session): no notifications to write
        log.debug("chat message %s recorded without a request: no notifications", event.data)
        return
    dbsession = committing.dbsession
    author = event.data.get("author") or {}
    recipients = [uid for uid in event.members if uid != author.get("id")]
    away = sorted(set(recipients) - connected(request.registry, recipients))
    if not away:
        return
    with dbsession.begin_nested():  # a failure leaves no notification half written
        _notify(request, dbsession, event, author, away)


def _notify(
    request: Any, dbsession: Session, event: MessageCreated, author: dict, away: list[int]
) -> None:
    room = dbsession.get(ChatRoom, event.room_id)  # in the session already: no query
    if room is None:
        return
    rows = dbsession.execute(
        select(User, ChatMember)
        .outerjoin(ChatMember, and_(ChatMember.user_id == User.id, ChatMember.room_id == room.id))
        .where(User.id.in_(away))
        .order_by(User.id)
    ).all()
    users = [user for user, _ in rows]
    preferences = preferences_of(dbsession, away)
    where = f" in {room.name}" if room.name else ""
    title = f"New message from {author.get('name', 'deleted user')}{where}"
    text = event.data.get("text") or "(attachment)"
    data = {"room_id": room.id, "message_id": event.data.get("id")}
    notify_many(
        request, users, KIND, title, text[:500], data=data, email=False, preferences=preferences
    )
    for user, member in rows:
        if member is not None:
            schedule_digest(request, member, user, preferences.get(user.id))
