"""Events after commit to exactly the room's members, payloads equal to the REST objects;
in-app notifications for members away, one email digest per room per window."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from thebot.chat.events import ChatEvent
from thebot.chat.models import ChatMember
from thebot.notifications.models import Notification

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def seen(app):
    events: list[ChatEvent] = []
    app.registry.registerHandler(events.append, (ChatEvent,))
    yield events
    app.registry.unregisterHandler(events.append, (ChatEvent,))


def test_a_message_reaches_exactly_the_members_with_the_rest_object(chat, world, seen):
    room = chat.group(world.E, world.S, world.P).json["id"]
    seen.clear()
    sent = chat.send(world.S, room, "Hi all").json
    [event] = [e for e in seen if e.name == "chat.message.created"]
    assert event.user_ids == tuple(sorted([world.E.id, world.S.id, world.P.id]))
    assert event.payload() == sent
    assert world.T.id not in event.user_ids


def test_edit_delete_pin_read_and_membership_changes_are_published(
    chat, world, seen, testapp, as_
):
    room = chat.group(world.E, world.S).json["id"]
    sent = chat.send(world.S, room, "typo").json
    seen.clear()
    url = f"/api/chat/messages/{sent['id']}/"
    edited = testapp.patch_json(url, {"text": "fixed"}, headers=as_(world.S)).json
    testapp.post_json(url + "pin/", {}, headers=as_(world.E))
    chat.read(world.E, room, sent["id"])
    testapp.post_json(
        f"/api/chat/rooms/{room}/members/", {"user_id": world.P.id}, headers=as_(world.E)
    )
    testapp.delete(f"/api/chat/rooms/{room}/members/{world.P.id}/", headers=as_(world.E))
    testapp.delete(url, headers=as_(world.S))
    names = [e.name for e in seen]
    assert names == [
        "chat.message.updated",
        "chat.message.updated",
        "chat.read",
        "chat.room.updated",
        "chat.room.updated",
        "chat.message.deleted",
    ]
    assert seen[0].payload() == edited
    read = seen[2].payload()
    assert read == {
        "room_id": room,
        "user_id": world.E.id,
        "last_read_message_id": sent["id"],
        "unread_count": 0,
    }
    assert world.P.id in seen[3].user_ids  # added: told
    assert world.P.id in seen[4].user_ids  # removed: told once more
    assert world.P.id not in seen[5].user_ids  # gone: no longer told


def test_a_refused_change_publishes_nothing(chat, world, seen):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    seen.clear()
    chat.send(world.S, room, "", status=400)
    chat.send(world.T, room, "intruder", status=404)
    assert seen == []


def test_members_away_get_an_in_app_notification_and_one_digest(
    chat, world, dbsession, frozen, monkeypatch
):
    import thebot.chat.delivery.digest as digest

    scheduled: list[tuple] = []
    monkeypatch.setattr(digest, "enqueue_delayed", lambda r, *args: scheduled.append(args))
    room = chat.direct(world.S, world.E, status=201).json["id"]
    for text in ("one", "two", "three"):
        chat.send(world.S, room, text)
    notes = dbsession.scalars(select(Notification).where(Notification.user_id == world.E.id)).all()
    assert [n.kind for n in notes] == ["chat.message"] * 3
    assert notes[0].data == {"room_id": room, "message_id": notes[0].data["message_id"]}
    assert not dbsession.scalars(
        select(Notification).where(Notification.user_id == world.S.id)
    ).all()  # the author is not told of their own message
    # one digest per room per window, not one per message
    assert scheduled == [("chat.send_digest", 15 * 60 * 1000, room, world.E.id)]
    member = dbsession.scalar(
        select(ChatMember).where(ChatMember.room_id == room, ChatMember.user_id == world.E.id)
    )
    assert member.digest_due_at == frozen_now() + dt.timedelta(minutes=15)


def frozen_now():
    return dt.datetime.now(dt.timezone.utc)


def test_the_digest_mails_what_is_unread_once(chat, world, dbsession, app, monkeypatch):
    from types import SimpleNamespace

    from thebot.chat.delivery.digest import send_digest

    room = chat.direct(world.S, world.E, status=201).json["id"]
    chat.send(world.S, room, "first")
    chat.send(world.S, room, "second")
    sent: list[tuple] = []

    def enqueue_spy(request, name, *args):
        sent.append((name, args))

    import thebot.chat.delivery.digest as digest

    monkeypatch.setattr(digest, "enqueue", enqueue_spy)
    request = SimpleNamespace(dbsession=dbsession, registry=app.registry)
    send_digest(request, room, world.E.id)
    send_digest(request, room, world.E.id)  # a duplicate run sends nothing more
    [(name, (to, subject, body))] = sent
    assert name == "notifications.send_email" and to == [world.E.email]
    assert subject.startswith("2 new messages") and "first" in body and "second" in body


def test_connected_members_get_no_notification(chat, world, dbsession, app, monkeypatch):
    room = chat.group(world.E, world.S, world.P).json["id"]
    monkeypatch.setitem(app.registry, "realtime_presence", lambda ids: {world.P.id} & set(ids))
    chat.send(world.S, room, "hi")
    told = set(
        dbsession.scalars(select(Notification.user_id).where(Notification.kind == "chat.message"))
    )
    assert told == {world.E.id}  # P is connected (the socket shows it), S wrote it
