"""The database down: 503 problem+json with Retry-After, fast; probes and the status page
still answer; public readiness names a short reason and never the driver's message."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import webtest

from testenv import TEST_HOST
from thebot.outages import OUTAGES

CLOSED_PG = "postgresql+psycopg://nobody@127.0.0.1:1/none"
SECRET_BITS = ("127.0.0.1", "port", "psycopg", "sqlite3", "OperationalError", "nobody")
TOKEN = {"Authorization": "Token " + "a" * 43}


@pytest.fixture(autouse=True)
def _no_outage_state() -> Iterator[None]:
    OUTAGES.reset()
    yield
    OUTAGES.reset()


def client(app) -> webtest.TestApp:
    """Not the conftest ``client``: that one binds the app to the test's working database."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": TEST_HOST, "REMOTE_ADDR": "192.0.2.1"})


@pytest.fixture(params=["postgresql", "sqlite"])
def down_app(request, make_app, tmp_root):
    """An app whose database cannot be reached: a closed PostgreSQL port or a SQLite file in
    a folder that does not exist."""
    if request.param == "postgresql":
        pytest.importorskip("psycopg")
        url = CLOSED_PG
    else:
        url = f"sqlite:///{tmp_root}/no-such-folder/thebot.sqlite"
    # Sessions in the database (not Redis): the cookie case needs the database too.
    app = make_app(own_engine=True, database_url=url, db_connect_timeout="2", redis_url="")
    yield app
    app.registry["dbengine"].dispose()


def assert_unavailable(response) -> None:
    assert response.status_int == 503
    assert response.content_type == "application/problem+json"
    assert response.json["type"].endswith("/service-unavailable")
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-Request-ID"]
    assert not any(bit in response.text for bit in SECRET_BITS)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/api/auth/me/", {"headers": TOKEN}),  # was a raw text/plain 500
        ("post_json", "/api/auth/logout/", {"params": {}, "headers": TOKEN}),
        ("get", "/api/auth/me/", {"headers": {"Cookie": "thebot_session=" + "b" * 43}}),
        ("post_json", "/api/auth/login/", {"params": {"login": "a", "password": "b" * 12}}),
        ("post_json", "/api/auth/password-reset/", {"params": {"email": "x@example.com"}}),
    ],
)
def test_requests_needing_the_database_get_503_problem(down_app, method, path, kwargs):
    response = getattr(client(down_app), method)(path, expect_errors=True, **kwargs)
    assert_unavailable(response)


def test_liveness_stays_up_and_readiness_names_a_short_reason(down_app):
    app = client(down_app)
    assert app.get("/api/system/health/live/").json["status"] == "alive"
    for path in ("/api/system/health/ready/", "/api/system/readiness/"):
        response = app.get(path, status=503)
        assert response.json["dependencies"]["database"] == "error"
        assert response.json["error"] == {"database": "unreachable"}
        assert not any(bit in response.text for bit in SECRET_BITS)


def test_admin_health_keeps_the_details(down_app, monitor_headers):
    body = client(down_app).get("/api/system/health/", headers=monitor_headers).json
    database = body["components"]["database"]
    assert body["status"] == "unhealthy"
    assert database["reason"] == "unreachable"
    assert "OperationalError" in database["error"]


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_status_page_renders_with_the_database_down(down_app, accept):
    response = client(down_app).get("/api/system/status-page/", headers={"Accept": accept})
    assert response.status_int == 200
    if accept == "application/json":
        components = {c["name"]: c["status"] for c in response.json["components"]}
        assert components["Database"] == "outage"
        assert response.json["status"] == "outage" and response.json["incidents"] == []
    else:
        assert "outage" in response.text.lower()


def test_one_error_logged_per_database_outage(down_app, caplog):
    app = client(down_app)
    with caplog.at_level("WARNING"):
        for _ in range(5):
            app.get("/api/auth/me/", headers=TOKEN, status=503)
            app.get("/api/system/health/ready/", status=503)
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "database unavailable" in errors[0].getMessage()
    assert not any("Traceback" in r.getMessage() or r.exc_info for r in caplog.records)


def test_hanging_database_answers_503_within_the_connect_timeout(make_app):
    """A server that accepts TCP and never speaks: the 503 comes after DB_CONNECT_TIMEOUT."""
    pytest.importorskip("psycopg")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        app = make_app(
            own_engine=True,
            database_url=f"postgresql+psycopg://nobody@127.0.0.1:{port}/none",
            db_connect_timeout="2",  # libpq's minimum
            readiness_timeout="4",
        )
        started = time.monotonic()
        response = client(app).get("/api/auth/me/", headers=TOKEN, expect_errors=True)
        elapsed = time.monotonic() - started
        assert_unavailable(response)
        assert elapsed < 2 + 1.5, elapsed
        body = client(app).get("/api/system/readiness/", status=503).json
        assert body["error"]["database"] in {"timeout", "unreachable"}
        app.registry["dbengine"].dispose()
    finally:
        listener.close()


def test_a_commit_that_loses_the_database_is_a_503_and_sends_nothing(testapp, broker, monkeypatch):
    """Raised by pyramid_tm at commit, outside the exception views (was a raw 500)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    def lost(self, *args, **kwargs):
        raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))

    monkeypatch.setattr(Session, "flush", lost)
    response = testapp.post_json("/api/test/mail/", {"to": "a@example.com"}, expect_errors=True)
    monkeypatch.undo()
    assert_unavailable(response)
    assert "email" not in broker.queues or broker.queues["email"].qsize() == 0
