"""``pserve development.ini`` runs the gateway in the web process, no service needed."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from live_pserve import free_port, running_pserve

REPO = Path(__file__).resolve().parents[2]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.slow
def test_pserve_development_ini_serves_the_gateway_in_process(tmp_path):
    port, ws_port = free_port(), free_port()
    ini = (
        (REPO / "development.ini")
        .read_text()
        .replace("\nhost = localhost\n", "\nhost = 127.0.0.1\n")
        .replace("\nhttp_port = 6543\n", f"\nhttp_port = {port}\n")
        .replace(
            "realtime_in_process = true",
            f"realtime_in_process = true\nrealtime_listen = 127.0.0.1:{ws_port}",
        )
    )
    (tmp_path / "development.ini").write_text(ini)
    health = f"http://127.0.0.1:{ws_port}/ws/health"
    live = f"http://127.0.0.1:{port}/api/system/health/live/"
    with running_pserve(tmp_path, lambda: get(live)[0] == 200, capture=True):
        body = json.loads(get(health)[1])
        assert body["status"] == "ready" and body["hub"] == "memory"


def test_a_taken_port_leaves_the_web_process_serving(make_app, rt_app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        app = make_app(realtime_in_process="true", realtime_listen=f"127.0.0.1:{busy}")
    from thebot.system.checks import check_websocket

    assert "realtime_gateway" not in app.registry
    assert check_websocket(app.registry).status == "error"
