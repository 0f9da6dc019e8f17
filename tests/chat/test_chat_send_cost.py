"""What one message POST costs: the same SQL statements in a room of 3 members as in a room
of 30, whether the members are connected (events only) or away (an in-app notification
each, their digests already on their way), and nothing owed to anyone is skipped."""

from __future__ import annotations

import difflib

import pytest
from sqlalchemy import func, select

from factories import ChatMemberFactory, ChatRoomFactory
from thebot.chat.events import ChatEvent
from thebot.notifications.models import Notification

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def seen(app):
    events: list[ChatEvent] = []
    app.registry.registerHandler(events.append, (ChatEvent,))
    yield events
    app.registry.unregisterHandler(events.append, (ChatEvent,))


def room_of(size, world, make_user, dbsession):
    """A group room moderated by teacher E with ``size - 1`` students."""
    room = ChatRoomFactory(created_by_id=world.E.id)
    ChatMemberFactory(room_id=room.id, user_id=world.E.id, role="moderator")
    others = [make_user("student") for _ in range(size - 1)]
    for user in others:
        ChatMemberFactory(room_id=room.id, user_id=user.id)
    dbsession.flush()
    return room.id, [u.id for u in others]


@pytest.mark.parametrize("presence", ["connected", "away"])
def test_a_message_costs_the_same_queries_in_a_room_of_3_or_30(
    chat, world, make_user, dbsession, count_queries, app, monkeypatch, seen, presence
):
    online = (lambda ids: set(ids)) if presence == "connected" else (lambda ids: set())
    monkeypatch.setitem(app.registry, "realtime_presence", online)

    def cost(size):
        room_id, others = room_of(size, world, make_user, dbsession)
        # The first message of a window also schedules each away member's digest.
        chat.send(world.E, room_id, "first")
        seen.clear()
        with count_queries() as counted:
            sent = chat.send(world.E, room_id, "second").json
        [event] = [e for e in seen if e.name == "chat.message.created"]
        assert event.user_ids == tuple(sorted([world.E.id, *others]))
        assert event.payload() == sent
        notified = dbsession.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id.in_(others),
                Notification.data["message_id"].as_integer() == sent["id"],
            )
        )
        assert notified == (len(others) if presence == "away" else 0)
        return counted

    small, large = cost(3), cost(30)
    diff = difflib.unified_diff(
        small.statements, large.statements, "3 members", "30 members", n=0, lineterm=""
    )
    assert small.count == large.count, (
        f"{small.count} queries for 3 members, {large.count} for 30:\n" + "\n".join(diff)
    )
    # the request itself: token, room and membership, insert, room and read state updates,
    # member ids, outbox; away: + people, preferences, notifications; then the relay
    assert large.count <= (10 if presence == "connected" else 13)


def test_away_members_get_their_own_notification_frame_payload(
    chat, world, make_user, dbsession, app, monkeypatch
):
    """One event for the notifications of a message, one ``notification.created`` per user."""
    from thebot.notifications.events import NotificationsCreated

    monkeypatch.setitem(app.registry, "realtime_presence", lambda ids: set())
    batches: list[NotificationsCreated] = []
    app.registry.registerHandler(batches.append, (NotificationsCreated,))
    try:
        room_id, others = room_of(4, world, make_user, dbsession)
        sent = chat.send(world.E, room_id, "hello all").json
    finally:
        app.registry.unregisterHandler(batches.append, (NotificationsCreated,))
    [batch] = batches
    parts = batch.publications()
    assert [users for users, _ in parts] == [(uid,) for uid in sorted(others)]
    stored = {
        n.user_id: n
        for n in dbsession.scalars(select(Notification).where(Notification.user_id.in_(others)))
    }
    for (user_id,), payload in parts:
        assert payload["id"] == stored[user_id].id
        assert payload["data"] == {"room_id": room_id, "message_id": sent["id"]}
        assert payload["kind"] == "chat.message" and payload["is_read"] is False


def test_a_message_in_a_direct_room_costs_what_one_in_a_group_does(
    chat, world, make_user, dbsession, count_queries, app, monkeypatch
):
    """Whoever left a direct room comes back with the next message, but with both people
    there nothing is looked up for it."""
    monkeypatch.setitem(app.registry, "realtime_presence", lambda ids: set(ids))
    direct = chat.direct(world.S, world.E, status=201).json["id"]
    group, _ = room_of(2, world, make_user, dbsession)
    costs = []
    for room_id, author in ((direct, world.E), (group, world.E)):
        chat.send(author, room_id, "first")
        with count_queries() as counted:
            chat.send(author, room_id, "second")
        costs.append(counted.count)
    assert costs[0] == costs[1]
