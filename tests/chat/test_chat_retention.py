"""Retention: off by default; per room type, messages older than N days are deleted."""

from __future__ import annotations

import datetime as dt

from pyramid.scripting import prepare
from sqlalchemy import select

from factories import ChatMessageFactory, ChatRoomFactory
from thebot.chat.models import ChatMessage
from thebot.chat.retention import purge_old_messages

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


def run(app):
    env = prepare(registry=app.registry)
    try:
        with env["request"].tm:
            return purge_old_messages(env["request"], now=NOW)
    finally:
        env["closer"]()


def test_retention_per_room_type(app, dbsession, bind_app, monkeypatch, make_user):
    bind_app(app)
    author = make_user("teacher")
    group, direct = ChatRoomFactory(type="group"), ChatRoomFactory(type="group")
    old = NOW - dt.timedelta(days=40)
    old_group = ChatMessageFactory(room_id=group.id, author_id=author.id, created_at=old)
    reply = ChatMessageFactory(
        room_id=group.id, author_id=author.id, reply_to_id=old_group.id, created_at=NOW
    )
    kept_direct = ChatMessageFactory(room_id=direct.id, author_id=author.id, created_at=old)
    direct.type = "direct"
    direct.direct_low_id, direct.direct_high_id = author.id, make_user().id
    if direct.direct_low_id > direct.direct_high_id:
        direct.direct_low_id, direct.direct_high_id = direct.direct_high_id, direct.direct_low_id
    dbsession.flush()
    assert run(app) == {}  # off by default: nothing is deleted
    monkeypatch.setitem(app.registry.settings, "chat_retention_group_days", 30)
    assert run(app) == {"group": 1}
    remaining = set(dbsession.scalars(select(ChatMessage.id)))
    assert remaining == {reply.id, kept_direct.id}
    dbsession.refresh(reply)
    assert reply.reply_to_id is None
