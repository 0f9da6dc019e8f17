"""The gateway seen from the web process: health component, metrics, presence; and the
in-process gateway of development."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
from rt_helpers import receive, run
from websockets.asyncio.client import connect

from testenv import METRICS_TOKEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dev_app(make_app: Any, rt_app: Any, rt_database_url: str) -> Any:
    """Like ``pserve development.ini``: the gateway runs in the web process."""
    app = make_app(
        own_engine=True,
        database_url=rt_database_url,
        realtime_in_process="true",
        realtime_listen=f"127.0.0.1:{free_port()}",
    )
    yield app
    app.registry["realtime_gateway"].stop()
    app.registry["dbengine"].dispose()


def test_the_development_app_runs_the_gateway_in_process(dev_app, new_user):
    import webtest

    user, headers = new_user()
    api = webtest.TestApp(dev_app, extra_environ={"HTTP_HOST": "testserver"})
    ticket = api.post("/api/realtime/ticket/", headers=headers, status=201).json
    assert dev_app.registry["realtime_hub"].kind == "memory"
    port = dev_app.registry["realtime_gateway"].port
    assert ticket["url"].startswith(f"ws://127.0.0.1:{port}/ws/?ticket=")
    monitor = {"Authorization": f"Bearer {METRICS_TOKEN}"}

    async def scenario() -> None:
        async with connect(ticket["url"]) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            health = await asyncio.to_thread(
                lambda: api.get("/api/system/health/", headers=monitor).json
            )
            websocket = health["components"]["websocket"]
            assert websocket["status"] == "ok" and websocket["connections"] == 1
            presence = dev_app.registry["realtime_presence"]
            assert presence([user.id, user.id + 1000]) == {user.id}
            metrics = await asyncio.to_thread(
                lambda: (
                    api.get(
                        "/api/system/metrics/", params={"format": "prometheus"}, headers=monitor
                    ).text
                )
            )
            assert "thebot_realtime_connections 1.0" in metrics
            assert "thebot_realtime_gateways 1.0" in metrics

    run(scenario())


def test_an_expected_gateway_that_does_not_report_is_an_error(make_app, rt_app):
    from thebot.system.checks import check_websocket

    app = make_app(realtime_public_url="wss://rt.example.com", realtime_hub="memory")
    result = check_websocket(app.registry)
    assert result.status == "error" and result.reason


def test_without_a_gateway_the_component_is_disabled(rt_app):
    from thebot.system.checks import check_websocket

    assert check_websocket(rt_app.registry).status == "disabled"
