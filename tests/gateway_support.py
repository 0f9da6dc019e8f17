"""Shared set-up of the end-to-end tests through the real-time gateway outside
``tests/realtime``: an app with its own engine on a scratch database (the gateway's worker
threads need committed rows), and a gateway thread on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def own_app(make_app: Any, scratch_database_url: str) -> Iterator[Any]:
    app = make_app(
        own_engine=True,
        database_url=scratch_database_url,
        auto_migrate="true",
        rate_limit_enabled="false",
    )
    yield app
    app.registry["dbengine"].dispose()


@pytest.fixture
def gateway(own_app: Any) -> Iterator[Any]:
    from thebot.realtime.gateway.runner import GatewayThread

    hub = own_app.registry["realtime_hub"]
    if hub.kind == "redis":
        for key in hub.client.scan_iter(hub.prefix + "*"):
            hub.client.delete(key)
    thread = GatewayThread(own_app.registry, "127.0.0.1:0").start()
    yield thread
    thread.stop()
