"""End to end through the real-time gateway: completing a prerequisite over REST sends
``knowledge.lesson_unlocked`` (and the in-app notification) to the student's socket after
commit, and nothing of it to anyone else's."""

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

from learning_support import seed_committed  # noqa: E402

from gateway_support import (  # noqa: E402
    frame_of,
    gateway,  # noqa: F401  (fixture)
    nothing_of,
    own_app,  # noqa: F401  (fixture)
)


def outsider_headers(app: Any) -> dict[str, str]:
    from thebot.accounts.credentials.tokens import issue_token
    from thebot.accounts.models import StudentProfile, User

    tag = uuid.uuid4().hex[:8]
    with app.registry["dbsession_factory"]() as session, session.begin():
        user = User(username=f"o-{tag}", email=f"o-{tag}@example.com", role="student")
        session.add(user)
        session.flush()
        session.add(StudentProfile(user_id=user.id))
        key = issue_token(session, user, dt.timedelta(hours=1))[0]
    return {"Authorization": f"Token {key}"}


def test_an_unlock_reaches_the_students_socket(own_app, gateway):
    world = seed_committed(own_app, 2, [(0, 1)])
    other = outsider_headers(own_app)
    api = webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})
    url = (
        f"/api/knowledge/graphs/{world['graph']}/nodes/{world['nodes'][0]}/"
        f"elements/{world['elements'][0]}/answer/"
    )
    connect = websockets_client.connect
    ws_url = f"ws://127.0.0.1:{gateway.port}/ws/"

    async def scenario() -> None:
        async with (
            connect(ws_url, additional_headers=world["headers"]) as mine,
            connect(ws_url, additional_headers=other) as theirs,
        ):
            for ws in (mine, theirs):
                await ws.send(json.dumps({"type": "ping"}))
                await frame_of(ws, "pong")
            body = await asyncio.to_thread(
                lambda: api.post_json(url, {"answer": [0]}, headers=world["headers"]).json
            )
            assert body["unlocked_node_ids"] == [world["nodes"][1]]
            event = await frame_of(mine, "knowledge.lesson_unlocked")
            assert event["data"]["node_id"] == world["nodes"][1]
            assert event["data"]["graph_id"] == world["graph"]
            assert event["data"]["student_id"] == world["student_id"]
            note = await frame_of(mine, "notification.created")
            assert note["data"]["kind"] == "knowledge.lesson_unlocked"
            await nothing_of(theirs, "knowledge.")

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
