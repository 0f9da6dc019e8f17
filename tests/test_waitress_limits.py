"""The server in front of the app (waitress, as ``pserve`` runs it from the ini files) leaves
client errors to the app, which answers them as problem+json, and drops silent clients fast.

Checked against a live ``pserve`` on 127.0.0.1 over raw sockets, with the server settings of
``development.ini`` and of ``production.ini`` in turn.
"""

from __future__ import annotations

import configparser
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from paste.deploy.loadwsgi import SERVER, loadcontext

from live_pserve import free_port, running_pserve
from thebot.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
INIS = ["development.ini", "production.ini"]
SILENCE_BOUND = 15  # seconds a silent client may hold a connection, at most


def server_conf(ini: str) -> dict[str, str]:
    return loadcontext(SERVER, f"config:{REPO / ini}").local_conf


def app_body_limit(ini: str) -> int:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / ini)
    return load_settings(dict(parser["app:main"]), environ={})["max_request_body_size"]


@pytest.mark.parametrize("ini", INIS)
def test_waitress_accepts_bodies_the_app_must_answer_itself(ini):
    """Waitress answers a body over its own limit with a text/plain 413 the app never sees;
    its limit must lie above the app's, so the app's problem+json 413 is the answer."""
    assert int(server_conf(ini)["max_request_body_size"]) > app_body_limit(ini)


@pytest.mark.parametrize("ini", INIS)
def test_waitress_drops_silent_clients_within_the_bound(ini):
    conf = server_conf(ini)
    assert int(conf["channel_timeout"]) + int(conf["cleanup_interval"]) <= SILENCE_BOUND


def live_ini(server_from: str, port: int) -> str:
    """``development.ini``'s app (no services needed) behind ``server_from``'s server."""
    # The in-process gateway on a free port too (not 6544: parallel runs, pytest -n 2).
    dev = (
        (REPO / "development.ini")
        .read_text()
        .replace(
            "\nrealtime_in_process = true\n",
            f"\nrealtime_in_process = true\nrealtime_listen = 127.0.0.1:{free_port()}\n",
        )
    )
    assert "realtime_listen" in dev
    server = (REPO / server_from).read_text().split("[server:main]", 1)[1].split("\n[", 1)[0]
    lines = [
        line
        for line in server.splitlines()
        if not line.startswith(("host ", "port ", "get port ", "listen "))
    ]
    lines.insert(1, f"listen = 127.0.0.1:{port}")
    # production.ini takes trusted_proxy from its [DEFAULT] (pserve ... trusted_proxy=...)
    lines = [
        "trusted_proxy = 127.0.0.1" if line.startswith("get trusted_proxy") else line
        for line in lines
    ]
    head, rest = dev.split("[server:main]", 1)
    return head + "[server:main]" + "\n".join(lines) + "\n\n[" + rest.split("\n[", 1)[1]


@pytest.fixture(scope="module", params=INIS)
def server(request, tmp_path_factory) -> Iterator[tuple[str, int]]:
    """A live ``pserve`` of the app with the server settings of one ini file."""
    folder = tmp_path_factory.mktemp("waitress")
    port = free_port()
    (folder / "development.ini").write_text(live_ini(request.param, port))
    with running_pserve(folder, lambda: exchange(port, b"GET /api/system/health/live/")[0] == 200):
        yield request.param, port


def exchange(
    port: int, request_line: bytes, headers: bytes = b"", body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One request over a raw socket (no client library tidies the URL); the response."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(
            request_line + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers
        )
        sock.sendall(b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), fields, payload


def assert_problem(status: int, headers: dict[str, str], expected: int) -> None:
    assert status == expected
    assert headers["content-type"].startswith("application/problem+json")
    assert headers.get("x-request-id")


@pytest.mark.slow
@pytest.mark.parametrize("path", [b"/api/auth/login/", b"/media/x.png"])
def test_a_body_over_the_app_limit_is_the_apps_problem_413(server, path):
    ini, port = server
    size = app_body_limit(ini) + 1
    headers = b"Content-Type: application/json\r\nContent-Length: %d\r\n" % size
    status, fields, _ = exchange(port, b"POST " + path, headers, b" " * size)
    assert_problem(status, fields, 413)


@pytest.mark.slow
def test_a_chunked_body_over_the_app_limit_is_the_apps_problem_413(server):
    """Without Content-Length the app still learns the size: waitress reads the chunks (up
    to its own, higher limit) and passes their total on."""
    ini, port = server
    size = app_body_limit(ini) + 1
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in [b" " * 2**20] * (size // 2**20))
    chunks += b"%x\r\n%s\r\n0\r\n\r\n" % (size % 2**20, b" " * (size % 2**20))
    headers = b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    status, fields, _ = exchange(port, b"POST /api/auth/login/", headers, chunks)
    assert_problem(status, fields, 413)


@pytest.mark.slow
@pytest.mark.parametrize(
    "target", [b"/%ff", b"/api/%ff/", b"/media/%c0%ae%c0%ae/x", b"/api/accounts/users/?q=%ff"]
)
def test_a_url_that_is_not_utf8_is_a_problem_400_through_waitress(server, target):
    _ini, port = server
    status, fields, _ = exchange(port, b"GET " + target)
    assert_problem(status, fields, 400)


@pytest.mark.slow
def test_a_refused_cors_preflight_is_a_problem_403_through_waitress(server):
    _ini, port = server
    headers = b"Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
    status, fields, _ = exchange(port, b"OPTIONS /api/auth/login/", headers)
    assert_problem(status, fields, 403)


@pytest.mark.slow
def test_a_body_announced_but_never_sent_is_dropped_quickly(server):
    """A client announcing 100 bytes and sending 10 holds a connection (and a slot of
    ``connection_limit``) only until waitress' idle timeout, not for minutes."""
    _ini, port = server
    bound = SILENCE_BOUND + 2  # a socket timeout (a failure) soon after it
    with socket.create_connection(("127.0.0.1", port), timeout=bound + 3) as sock:
        sock.sendall(
            b"POST /api/auth/login/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + b'{"login": '
        )
        started = time.monotonic()
        try:
            while sock.recv(65536):
                pass  # waitress may say nothing, or a short error, before it closes
        except ConnectionResetError:
            pass
        waited = time.monotonic() - started
    assert waited <= bound, f"the connection stayed open {waited:.1f} s"
