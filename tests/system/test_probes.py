"""Liveness and readiness: real dependency checks, 503 naming what failed, short timeouts."""

from __future__ import annotations

import time

import pytest

from testenv import TEST_REDIS_URL

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_live_needs_no_dependency(testapp):
    body = testapp.get("/api/system/health/live/").json
    assert body["status"] == "alive" and body["timestamp"]


@pytest.mark.parametrize("path", ["/api/system/health/ready/", "/api/system/readiness/"])
def test_ready_when_dependencies_are_up(testapp, path):
    body = testapp.get(path).json
    assert body["status"] == "ready"
    assert body["dependencies"]["database"] == "ok"
    assert body["dependencies"]["redis"] == ("ok" if TEST_REDIS_URL else "disabled")


def test_not_ready_when_database_is_unreachable(make_app, client, tmp_root):
    app = make_app(own_engine=True, database_url=f"sqlite:///{tmp_root}/missing-dir/none.sqlite")
    response = client(app).get("/api/system/health/ready/", status=503)
    body = response.json
    assert body["status"] == "not_ready"
    assert body["dependencies"]["database"] == "error"
    assert body["error"]["database"]


def test_not_ready_when_postgresql_port_is_closed(make_app, client):
    pytest.importorskip("psycopg")
    app = make_app(
        own_engine=True,
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        db_connect_timeout="1",
    )
    body = client(app).get("/api/system/readiness/", status=503).json
    assert body["dependencies"]["database"] == "error"
    assert "database" in body["error"]


def test_not_ready_when_redis_is_unreachable_and_probe_does_not_hang(make_app, client):
    app = make_app(redis_url=CLOSED_PORT_REDIS, readiness_timeout="1")
    started = time.monotonic()
    body = client(app).get("/api/system/health/ready/", status=503).json
    assert time.monotonic() - started < 5
    assert body["dependencies"] == {"database": "ok", "redis": "error"}
    assert body["error"]["redis"]


def test_redis_that_hangs_is_cut_off_by_the_timeout(make_app, client):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the TCP handshake, never answers PING
    port = listener.getsockname()[1]
    try:
        app = make_app(
            redis_url=f"redis://127.0.0.1:{port}/0", readiness_timeout="0.5", redis_timeout="5"
        )
        started = time.monotonic()
        body = client(app).get("/api/system/health/ready/", status=503).json
        assert time.monotonic() - started < 3
        assert body["dependencies"]["redis"] == "error"
    finally:
        listener.close()
