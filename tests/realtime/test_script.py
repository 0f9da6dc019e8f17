"""``thebot-realtime production.ini``: refuses what cannot work; serves beside another
gateway process on one Redis."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from rt_helpers import receive, redis_only, run
from test_gateway import post_ping
from websockets.asyncio.client import connect

from testenv import TEST_REDIS_PREFIX, TEST_REDIS_URL
from thebot.scripts import realtime as script

SCRUBBED_ENV = ("DATABASE_", "DB_", "REDIS", "SECRET", "REALTIME_")


def write_ini(folder: Path, **settings: str) -> str:
    values = {
        "debug": "true",
        "secret_key": "x" * 64,
        "allowed_hosts": "testserver localhost",
        "cors_allowed_origins": "https://app.example.com",
        "database_url": f"sqlite:///{folder}/script.sqlite",
        "task_broker": "stub",
        **settings,
    }
    lines = ["[app:main]", "use = egg:thebot"] + [f"{k} = {v}" for k, v in values.items()]
    path = folder / "gateway.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_it_refuses_to_run_without_redis(tmp_path, capsys, monkeypatch):
    for name in list(os.environ):
        if name.startswith(SCRUBBED_ENV):
            monkeypatch.delenv(name)
    assert script.main([write_ini(tmp_path)]) == 2
    assert "needs REDIS_URL" in capsys.readouterr().err


def test_it_refuses_to_run_beside_an_in_process_gateway(tmp_path, capsys):
    assert script.main([write_ini(tmp_path, realtime_in_process="true")]) == 2
    assert "pserve already runs the gateway" in capsys.readouterr().err


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@redis_only()
def test_a_gateway_process_and_another_gateway_both_deliver(
    tmp_path, api, gateway, new_user, rt_database_url
):
    user, headers = new_user()
    port = free_port()
    ini = write_ini(
        tmp_path,
        database_url=rt_database_url,
        redis_url=TEST_REDIS_URL,
        redis_key_prefix=TEST_REDIS_PREFIX,
    )
    exe = Path(sys.executable).parent / "thebot-realtime"
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_ENV)}
    proc = subprocess.Popen(
        [str(exe), ini, "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(proc, port)

        async def scenario() -> None:
            async with (
                connect(f"ws://127.0.0.1:{port}/ws/", additional_headers=headers) as a,
                connect(f"ws://127.0.0.1:{gateway.port}/ws/", additional_headers=headers) as b,
            ):
                for ws in (a, b):
                    await ws.send(json.dumps({"type": "ping"}))
                    await receive(ws)
                await asyncio.to_thread(post_ping, api, headers, text="to both")
                fa, fb = await receive(a), await receive(b)
                assert fa == fb and fa["data"]["text"] == "to both"

        run(scenario())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=15) == 0, proc.stderr.read()
        finally:
            proc.kill()


def wait_ready(proc: Any, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            url = f"http://127.0.0.1:{port}/ws/health"
            with urllib.request.urlopen(url, timeout=1) as response:
                if json.loads(response.read())["status"] == "ready":
                    return
        except OSError:
            pass
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "thebot-realtime did not start in 30 s"
        time.sleep(0.2)
