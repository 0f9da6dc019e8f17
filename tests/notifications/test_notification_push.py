"""End to end through the real-time gateway: notifications reach their recipient's socket
the moment they are created (``notification.created``, the REST object) and read-state
changes follow (``notification.read``); nobody else receives them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
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

UTC = dt.timezone.utc


@pytest.fixture
def api(own_app: Any) -> webtest.TestApp:
    return webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})


@pytest.fixture
def people(own_app: Any) -> dict[str, Any]:
    return teacher_student_outsider(own_app, "Push")


async def ready(ws: Any) -> None:
    """Delivery starts at the client's first frame: a ping, answered by a pong."""
    await ws.send(json.dumps({"type": "ping"}))
    await frame_of(ws, "pong")


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

    run(scenario(), timeout=60)


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

    run(scenario(), timeout=60)
