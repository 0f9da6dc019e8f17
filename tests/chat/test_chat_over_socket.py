"""End to end through the real-time gateway (a free port, the ``websockets`` client): a
message sent over REST reaches the members' sockets and no one else's; a message sent over
the socket is in the REST history and reaches the other member the same way."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest
import webtest

websockets_client = pytest.importorskip("websockets.asyncio.client")
pytest.importorskip("thebot.realtime.gateway.runner")

from gateway_support import gateway, own_app  # noqa: E402, F401  (fixtures)


@pytest.fixture
def people(own_app: Any) -> dict[str, Any]:
    """A teacher and their student (an active enrollment) and an outsider, with tokens."""
    from thebot.accounts.credentials.tokens import issue_token
    from thebot.accounts.models import StudentProfile, User
    from thebot.catalog.models import Enrollment, Subject

    tag = uuid.uuid4().hex[:8]
    with own_app.registry["dbsession_factory"]() as session, session.begin():
        made = {}
        for name, role in (("teacher", "teacher"), ("student", "student"), ("other", "student")):
            user = User(username=f"{name}-{tag}", email=f"{name}-{tag}@example.com", role=role)
            session.add(user)
            session.flush()
            if role == "student":
                session.add(StudentProfile(user_id=user.id))
            made[name] = user
        subject = Subject(name=f"Chat {tag}")
        session.add(subject)
        session.flush()
        session.add(
            Enrollment(
                teacher_id=made["teacher"].id,
                student_id=made["student"].id,
                subject_id=subject.id,
                status="active",
            )
        )
        result = {}
        for name, user in made.items():
            key = issue_token(session, user, dt.timedelta(hours=1))[0]
            result[name] = (user.id, {"Authorization": f"Token {key}"})
        return result


def ws_url(gateway: Any) -> str:
    return f"ws://127.0.0.1:{gateway.port}/ws/"


async def receive(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def frames_of(ws: Any, wanted: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame of type ``wanted`` (other events, e.g. notifications, skipped)."""
    while True:
        frame = await receive(ws, timeout)
        if frame["type"] == wanted:
            return frame


async def nothing_of(ws: Any, prefix: str, wait: float = 0.5) -> None:
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), wait))
            assert not frame["type"].startswith(prefix), frame
    except asyncio.TimeoutError:
        return


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=30))


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
                assert (await frames_of(ws, "pong"))["type"] == "pong"
            sent = await asyncio.to_thread(
                lambda: (
                    api.post_json(
                        f"/api/chat/rooms/{room}/messages/",
                        {"text": "over REST"},
                        headers=s_headers,
                    ).json
                )
            )
            frame = await frames_of(t_ws, "chat.message.created")
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
                await frames_of(ws, "pong")
            frame = {"type": "message.send", "data": {"room_id": room, "text": "hi"}, "ref": "m1"}
            await s_ws.send(json.dumps(frame))
            ack = await frames_of(s_ws, "ack")
            assert ack["data"]["ref"] == "m1" and ack["data"]["action"] == "message.send"
            message = ack["data"]["result"]
            event = await frames_of(t_ws, "chat.message.created")
            assert event["data"] == message
            bad = {"type": "message.send", "data": {"room_id": room, "text": ""}, "ref": "m2"}
            await s_ws.send(json.dumps(bad))
            error = await frames_of(s_ws, "error")
            assert error["data"]["status"] == 400 and error["data"]["ref"] == "m2"
        history = api.get(f"/api/chat/rooms/{room}/messages/", headers=t_headers).json
        assert history["items"][0] == message

    run(scenario())
