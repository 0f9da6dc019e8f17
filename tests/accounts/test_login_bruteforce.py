"""Brute force on login is cut off after 5 tries a minute, across waitress threads."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from waitress.server import create_server

from thebot.accounts.auth.ratelimit import reset_limits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def attempt(port: int, n: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"login": "victim@example.com", "password": f"guess-{n}"})
    conn.request(
        "POST", "/api/auth/login/", body=body, headers={"Content-Type": "application/json"}
    )
    status = conn.getresponse().status
    conn.close()
    return status


def test_sixth_login_attempt_in_a_minute_is_429_across_two_threads(make_app, tmp_path):
    app = make_app(
        own_engine=True,
        database_url=f"sqlite:///{tmp_path}/brute.sqlite",
        auto_migrate="true",
        allowed_hosts="127.0.0.1",
    )
    reset_limits(app.registry)  # only this run's counts (its REDIS_KEY_PREFIX), from zero
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(lambda n: attempt(port, n), range(8)))
    finally:
        server.close()
        app.registry["dbengine"].dispose()
    assert sorted(statuses) == [401] * 5 + [429] * 3
