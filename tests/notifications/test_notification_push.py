"""End to end through the real-time gateway: notifications reach their recipient's socket
the moment they are created (``notification.created``, the REST object) and read-state
changes follow (``notification.read``); nobody else receives them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
import webtest

websockets_client = pytest.importorskip("websockets.asyncio.client")
pytest.importorskip("thebot.realtime.gateway.runner")

from gateway_support import gateway, own_app  # noqa: E402, F401  (fixtures)

UTC = dt.timezone.utc


@pytest.fixture
def api(own_app: Any) -> webtest.TestApp:
    return webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})


@pytest.fixture
def people(own_app: Any) -> dict[str, Any]:
    """A teacher and their student (an active enrollment in a subject), an outsider; each
    ``(id, headers)``; and the subject id."""
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
        subject = Subject(name=f"Push {tag}")
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
        result: dict[str, Any] = {"subject": subject.id}
        for name, user in made.items():
            key = issue_token(session, user, dt.timedelta(hours=1))[0]
            result[name] = (user.id, {"Authorization": f"Token {key}"})
        return result


def ws_url(gateway: Any) -> str:
    return f"ws://127.0.0.1:{gateway.port}/ws/"


async def frame_of(ws: Any, wanted: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame of type ``wanted`` (other events skipped)."""
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == wanted:
            return frame


async def nothing_of(ws: Any, prefix: str, wait: float = 0.5) -> None:
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), wait))
            assert not frame["type"].startswith(prefix), frame
    except asyncio.TimeoutError:
        return


async def ready(ws: Any) -> None:
    """Delivery starts at the client's first frame: a ping, answered by a pong."""
    await ws.send(json.dumps({"type": "ping"}))
    await frame_of(ws, "pong")


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=60))


def book(api: webtest.TestApp, people: dict[str, Any], days: int) -> Any:
    (teacher, headers), (student, _) = people["teacher"], people["student"]
    start = (dt.datetime.now(UTC) + dt.timedelta(days=days)).replace(microsecond=0)
    body = {
        "teacher_id": teacher,
        "student_id": student,
        "subject_id": people["subject"],
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=1)).isoformat(),
        "timezone": "UTC",
    }
    return api.post_json("/api/scheduling/lessons/", body, headers=headers, status=201)


def test_booking_notification_and_read_state_reach_only_the_recipient(api, gateway, people):
    (_, t_headers), (_, s_headers), (_, o_headers) = (
        people["teacher"],
        people["student"],
        people["other"],
    )
    connect = websockets_client.connect

    async def scenario() -> None:
        async with (
            connect(ws_url(gateway), additional_headers=s_headers) as s_ws,
            connect(ws_url(gateway), additional_headers=t_headers) as t_ws,
            connect(ws_url(gateway), additional_headers=o_headers) as o_ws,
        ):
            for ws in (s_ws, t_ws, o_ws):
                await ready(ws)
            for days in (2, 3):
                await asyncio.to_thread(book, api, people, days)
            created = [await frame_of(s_ws, "notification.created") for _ in range(2)]
            listed = await asyncio.to_thread(
                lambda: api.get("/api/notifications/", headers=s_headers).json
            )
            # The frame is the REST object, as the list shows it.
            assert [f["data"] for f in created] == listed["items"][::-1]
            assert all(f["data"]["category"] == "lessons" for f in created)
            first = created[0]["data"]["id"]
            await asyncio.to_thread(
                lambda: api.post_json(
                    f"/api/notifications/{first}/read/", {}, headers=s_headers, status=200
                )
            )
            read = await frame_of(s_ws, "notification.read")
            assert read["data"]["ids"] == [first] and read["data"]["all"] is False
            assert read["data"]["unread_count"] == 1 and read["data"]["read_at"]
            # Marking it read again changes nothing: no event.
            await asyncio.to_thread(
                lambda: api.post_json(
                    f"/api/notifications/{first}/read/", {}, headers=s_headers, status=200
                )
            )
            await asyncio.to_thread(
                lambda: api.post_json("/api/notifications/read-all/", {}, headers=s_headers)
            )
            read_all = await frame_of(s_ws, "notification.read")
            assert read_all["data"] == {
                "ids": [],
                "all": True,
                "unread_count": 0,
                "read_at": None,
            }
            await nothing_of(s_ws, "notification.")
            # The actor (the teacher) and the outsider hear nothing of it.
            await nothing_of(t_ws, "notification.")
            await nothing_of(o_ws, "notification.")

    run(scenario())


def test_chat_message_to_a_disconnected_member_arrives_as_a_notification(api, gateway, people):
    (teacher, t_headers), (_, s_headers), (_, o_headers) = (
        people["teacher"],
        people["student"],
        people["other"],
    )
    room = api.post_json(
        "/api/chat/rooms/", {"type": "direct", "user_id": teacher}, headers=s_headers
    ).json["id"]
    before = f"{int(time.time() * 1000) - 1}-0"
    connect = websockets_client.connect

    async def scenario() -> None:
        async with connect(ws_url(gateway), additional_headers=o_headers) as o_ws:
            await ready(o_ws)
            # The teacher holds no socket: the message becomes an in-app notification.
            sent = await asyncio.to_thread(
                lambda: (
                    api.post_json(
                        f"/api/chat/rooms/{room}/messages/",
                        {"text": "Are you there?"},
                        headers=s_headers,
                    ).json
                )
            )
            async with connect(ws_url(gateway), additional_headers=t_headers) as t_ws:
                await t_ws.send(json.dumps({"type": "resume", "data": {"last_id": before}}))
                frame = await frame_of(t_ws, "notification.created")
                assert frame["data"]["kind"] == "chat.message"
                assert frame["data"]["data"] == {"room_id": room, "message_id": sent["id"]}
                assert frame["data"]["is_read"] is False
            await nothing_of(o_ws, "notification.")

    run(scenario())
