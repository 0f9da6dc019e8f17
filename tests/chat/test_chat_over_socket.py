"""End to end through the real-time gateway (a free port, the ``websockets`` client): a
message sent over REST reaches the members' sockets and no one else's; a message sent over
the socket is in the REST history and reaches the other member the same way."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import webtest

websockets_client = pytest.importorskip("websockets.asyncio.client")
pytest.importorskip("thebot.realtime.gateway.runner")

from gateway_support import (  # noqa: E402
    frame_of,
    gateway,  # noqa: F401  (fixture)
    nothing_of,
    own_app,  # noqa: F401  (fixture)
    run,
    teacher_student_outsider,
    ws_url,
)


@pytest.fixture
def people(own_app: Any) -> dict[str, Any]:
    return teacher_student_outsider(own_app, "Chat")


def test_rest_send_reaches_members_sockets_only(own_app, gateway, people):
    api = webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})
    (teacher, t_headers), (_, s_headers) = people["teacher"], people["student"]
    _, o_headers = people["other"]
    room = api.post_json(
        "/api/chat/rooms/", {"type": "direct", "user_id": teacher}, headers=s_headers
    ).json["id"]
    connect = websockets_client.connect

    async def scenario() -> None:
        async with (
            connect(ws_url(gateway), additional_headers=t_headers) as t_ws,
            connect(ws_url(gateway), additional_headers=o_headers) as o_ws,
        ):
            for ws in (t_ws, o_ws):
                await ws.send(json.dumps({"type": "ping"}))
                assert (await frame_of(ws, "pong"))["type"] == "pong"
            sent = await asyncio.to_thread(
                lambda: (
                    api.post_json(
                        f"/api/chat/rooms/{room}/messages/",
                        {"text": "over REST"},
                        headers=s_headers,
                    ).json
                )
            )
            frame = await frame_of(t_ws, "chat.message.created")
            assert frame["data"] == sent
            await nothing_of(o_ws, "chat.")

    run(scenario())


def test_socket_send_is_in_rest_history_and_reaches_the_other_member(own_app, gateway, people):
    api = webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})
    (_, t_headers), (student, s_headers) = people["teacher"], people["student"]
    room = api.post_json(
        "/api/chat/rooms/", {"type": "direct", "user_id": student}, headers=t_headers
    ).json["id"]
    connect = websockets_client.connect

    async def scenario() -> None:
        async with (
            connect(ws_url(gateway), additional_headers=t_headers) as t_ws,
            connect(ws_url(gateway), additional_headers=s_headers) as s_ws,
        ):
            for ws in (t_ws, s_ws):
                await ws.send(json.dumps({"type": "ping"}))
                await frame_of(ws, "pong")
            frame = {"type": "message.send", "data": {"room_id": room, "text": "hi"}, "ref": "m1"}
            await s_ws.send(json.dumps(frame))
            ack = await frame_of(s_ws, "ack")
            assert ack["data"]["ref"] == "m1" and ack["data"]["action"] == "message.send"
            message = ack["data"]["result"]
            event = await frame_of(t_ws, "chat.message.created")
            assert event["data"] == message
            bad = {"type": "message.send", "data": {"room_id": room, "text": ""}, "ref": "m2"}
            await s_ws.send(json.dumps(bad))
            error = await frame_of(s_ws, "error")
            assert error["data"]["status"] == 400 and error["data"]["ref"] == "m2"
        history = api.get(f"/api/chat/rooms/{room}/messages/", headers=t_headers).json
        assert history["items"][0] == message

    run(scenario())
