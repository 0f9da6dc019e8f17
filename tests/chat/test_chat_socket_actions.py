"""Socket actions call the same services as REST: same rules, validation and answers."""

from __future__ import annotations

import pytest
from pyramid.scripting import prepare

from thebot.accounts.models import User
from thebot.chat.messages import actions
from thebot.errors import Forbidden, Invalid, NotFound
from thebot.security import user_identity

pytestmark = pytest.mark.usefixtures("frozen")


class Socket:
    """Runs a handler as the gateway does: a prepared request of the socket's user, in its
    own transaction (committed when the handler returns, aborted when it raises)."""

    def __init__(self, app, user):
        self.app, self.user = app, user

    def __getattr__(self, name):
        handler = getattr(actions, name)

        def call(data):
            env = prepare(registry=self.app.registry)
            request = env["request"]
            try:
                with request.tm:
                    user = request.dbsession.get(User, self.user.id)
                    request._thebot_identity = user_identity(user)
                    return handler(request, data)
            finally:
                env["closer"]()

        return call


@pytest.fixture
def socket(app, chat):
    return lambda user: Socket(app, user)


def test_socket_send_shows_in_rest_history(chat, world, socket):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    sent = socket(world.S).send({"room_id": room, "text": "over the socket"})
    items = chat.history(world.E, room).json["items"]
    assert items[0] == sent
    edited = socket(world.S).edit({"message_id": sent["id"], "text": "edited"})
    assert edited["text"] == "edited" and edited["edited_at"]
    assert socket(world.E).read({"room_id": room, "message_id": sent["id"]}) == {"unread_count": 0}
    assert chat.room(world.E, room).json["unread_count"] == 0
    gone = socket(world.S).delete({"message_id": sent["id"]})
    assert gone["deleted"] is True
    assert socket(world.E).typing({"room_id": room}) == {}


def test_socket_refusals_are_the_rest_errors(chat, world, socket):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    with pytest.raises(NotFound):
        socket(world.T).send({"room_id": room, "text": "intruder"})
    with pytest.raises(Invalid):
        socket(world.S).send({"room_id": room, "text": ""})
    with pytest.raises(Invalid):
        socket(world.S).send({"room_id": room, "text": "x", "extra": 1})
    sent = socket(world.S).send({"room_id": room, "text": "mine"})
    with pytest.raises(Forbidden):
        socket(world.E).edit({"message_id": sent["id"], "text": "not mine"})


def test_chat_is_wired_to_the_gateway(app):
    directives = pytest.importorskip("thebot.realtime.directives")
    from thebot.chat.events import CHAT_EVENTS

    registered = directives.actions(app.registry)
    assert set(actions.ACTIONS) <= set(registered)
    for event_class in CHAT_EVENTS:
        assert event_class in app.registry.get(directives.EVENTS_KEY, set())
