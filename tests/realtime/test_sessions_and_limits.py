"""A browser's socket ends with its session; socket actions share REST's rate limit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import webtest
from rt_helpers import receive, run
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from thebot.realtime.gateway.connection import CLOSE_REVOKED

PASSWORD = "Correct-Horse-9"


def browser(rt_app: Any, user: Any) -> webtest.TestApp:
    """A WebTest client logged in with a session cookie."""
    from thebot.accounts.credentials.passwords import hash_password
    from thebot.accounts.models import User

    session = rt_app.registry["dbsession_factory"]()
    session.get(User, user.id).password_hash = hash_password(PASSWORD)
    session.commit()
    session.close()
    api = webtest.TestApp(rt_app, extra_environ={"HTTP_HOST": "testserver"})
    api.post_json(
        "/api/auth/login/", {"login": user.username, "password": PASSWORD, "session": True}
    )
    return api


def test_logging_out_closes_the_socket_opened_with_the_sessions_ticket(gateway, new_user, rt_app):
    user, _ = new_user()
    api = browser(rt_app, user)
    csrf = {"X-CSRF-Token": api.get("/api/auth/csrf/").json["csrf_token"]}
    ticket = api.post("/api/realtime/ticket/", headers=csrf, status=201).json
    query = ticket["url"].split("/ws/", 1)[1]

    async def scenario() -> int:
        uri = f"ws://127.0.0.1:{gateway.port}/ws/{query}"
        async with connect(uri, origin="https://app.example.com") as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            await asyncio.to_thread(api.post, "/api/auth/logout/", headers=csrf)
            # (the gateway's own 5-second sweep may get there first: either closes it)
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(gateway.gateway.revalidate(), gateway.loop)
            )
            with pytest.raises(ConnectionClosed) as exc:
                await receive(ws)
            return exc.value.rcvd.code

    assert run(scenario()) == CLOSE_REVOKED


@pytest.fixture
def limited_gateway(make_app: Any, rt_database_url: str) -> Any:
    from thebot.accounts.auth.ratelimit import reset_limits
    from thebot.realtime.gateway.runner import GatewayThread

    app = make_app(
        own_engine=True,
        database_url=rt_database_url,
        includes="support_views realtime_support",
        api_burst_limit="2/minute",
    )
    reset_limits(app.registry)
    thread = GatewayThread(app.registry, "127.0.0.1:0").start()
    yield thread
    thread.stop()
    reset_limits(app.registry)
    app.registry["dbengine"].dispose()


def test_socket_actions_count_against_the_users_api_rate_limit(limited_gateway, new_user):
    user, headers = new_user()

    async def scenario() -> list[dict[str, Any]]:
        uri = f"ws://127.0.0.1:{limited_gateway.port}/ws/"
        async with connect(uri, additional_headers=headers) as ws:
            answers = []
            for n in range(3):
                await ws.send(json.dumps({"type": "test.echo", "data": {"text": "x"}, "ref": n}))
                answers.append(await receive(ws))
            return answers

    first, second, third = run(scenario())
    assert first["type"] == second["type"] == "ack"
    assert third["type"] == "error"
    assert third["data"]["status"] == 429 and third["data"]["ref"] == 2
    assert third["data"]["retry_after"] >= 1
