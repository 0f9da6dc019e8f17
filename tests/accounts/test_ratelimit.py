"""Rate limits: the per-user API limits (tween), ``enforce`` for single operations, auditing.

``enforce`` is exercised through a test-only route included into the app (login, reset and
pairing call it the same way) and directly from two threads sharing one limiter, in memory
and (with ``THEBOT_TEST_REDIS_URL``) in Redis.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from testenv import TEST_REDIS_PREFIX
from thebot.accounts.auth.ratelimit import (
    AUDIT_ACTION,
    enforce,
    hit,
    make_limiter,
    reset_limits,
)
from thebot.audit import AuditEvent, audit
from thebot.errors import APIProblem
from thebot.settings import ConfigurationError, load_settings

TEST_REDIS_URL = os.environ.get("THEBOT_TEST_REDIS_URL")
PROBLEM = "application/problem+json"
LIMITED_PATH = "/api/test/limited/"
OPERATION_LIMIT = "3/minute"


def limited_view(request: Any) -> dict[str, Any]:
    """Like login: writes an audit row in the request, then counts an attempt per name."""
    name = request.GET.get("login", "")
    audit(request, "test.attempt", login=name)
    enforce(request, "test-login", f"{request.client_ip}:{name}", OPERATION_LIMIT)
    return {"ok": True}


def includeme(config: Any) -> None:
    config.add_route("test_limited", LIMITED_PATH)
    config.add_view(
        limited_view, route_name="test_limited", renderer="json", permission=NO_PERMISSION_REQUIRED
    )


@pytest.fixture(scope="module")
def hourly_app(make_app):
    """A small hourly limit (the burst limit out of the way)."""
    return make_app(
        includes=f"support_views {__name__}", api_rate_limit="5/hour", api_burst_limit="100/second"
    )


@pytest.fixture(scope="module")
def burst_app(make_app):
    return make_app(api_rate_limit="1000/hour", api_burst_limit="3/second")


@pytest.fixture
def hourly(hourly_app, client, dbsession):
    reset_limits(hourly_app.registry)
    return client(hourly_app)


@pytest.fixture
def burst(burst_app, client, dbsession):
    reset_limits(burst_app.registry)
    return client(burst_app)


def limit_events(dbsession) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION).order_by(AuditEvent.id)
    return list(dbsession.execute(stmt).scalars())


def assert_429(response) -> int:
    assert response.status_int == 429
    assert response.content_type == PROBLEM
    assert response.json["type"] == "https://thebot.example/problems/rate-limited"
    assert response.json["request_id"] == response.headers["X-Request-ID"]
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


# --- the authenticated API limits ------------------------------------------------------------


def test_authenticated_api_responses_carry_rate_limit_headers(hourly, make_user, auth_headers):
    headers = auth_headers(make_user("student"))
    before = time.time()
    response = hourly.get("/api/notifications/", headers=headers)
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"
    reset = int(response.headers["X-RateLimit-Reset"])  # Unix time
    assert before + 3590 <= reset <= time.time() + 3601
    # Error responses are counted and described too.
    denied = hourly.get("/api/system/health/", headers=headers, status=403)
    assert denied.headers["X-RateLimit-Remaining"] == "3"


def test_anonymous_monitor_and_non_api_responses_have_no_rate_limit_headers(
    hourly, monitor_headers
):
    for response in (
        hourly.get("/api/system/health/live/"),
        hourly.get("/api/system/health/", headers=monitor_headers),
        hourly.get("/static/status.css"),
    ):
        assert "X-RateLimit-Limit" not in response.headers


def test_exceeding_the_hourly_limit_gives_429_problem_with_retry_after(
    hourly, make_user, auth_headers
):
    headers = auth_headers(make_user("teacher"))
    for _ in range(5):
        hourly.get("/api/notifications/", headers=headers, status=200)
    response = hourly.get("/api/notifications/", headers=headers, status=429)
    assert 1 <= assert_429(response) <= 3600
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    # Another user has a budget of their own.
    other = hourly.get("/api/notifications/", headers=auth_headers(make_user("teacher")))
    assert other.headers["X-RateLimit-Remaining"] == "4"


def test_all_tokens_of_a_user_share_one_budget(hourly, make_user, auth_headers):
    user = make_user("parent")
    for _ in range(5):
        hourly.get("/api/notifications/", headers=auth_headers(user), status=200)
    assert_429(hourly.get("/api/notifications/", headers=auth_headers(user), status=429))


def test_burst_limit_gives_429_and_describes_itself(burst, make_user, auth_headers):
    headers = auth_headers(make_user("student"))
    for _ in range(3):
        burst.get("/api/notifications/", headers=headers, status=200)
    response = burst.get("/api/notifications/", headers=headers, status=429)
    assert assert_429(response) == 1
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_api_limit_hits_are_audited_once_per_window(hourly, dbsession, make_user, auth_headers):
    user = make_user("tutor")
    headers = auth_headers(user)
    for _ in range(5):
        hourly.get("/api/notifications/", headers=headers)
    hourly.get("/api/notifications/", headers=headers, status=429)
    hourly.get("/api/notifications/", headers=headers, status=429)
    events = limit_events(dbsession)
    assert len(events) == 1  # a flood of refused requests does not flood the table
    event = events[0]
    assert event.actor_id == user.id
    assert event.details == {"scope": "api", "limit": "5/hour", "subject": f"user:{user.id}"}
    assert event.ip == "192.0.2.10" and event.request_id


def test_disabled_rate_limits_count_nothing(make_app, client, make_user, auth_headers):
    app = client(make_app(rate_limit_enabled="false", api_burst_limit="1/second"))
    headers = auth_headers(make_user("student"))
    for _ in range(3):
        response = app.get("/api/notifications/", headers=headers, status=200)
        assert "X-RateLimit-Limit" not in response.headers


# --- enforce(): one operation per key ---------------------------------------------------------


def test_enforce_refuses_the_attempt_after_the_limit(hourly):
    for _ in range(3):
        hourly.get(LIMITED_PATH, params={"login": "olga"}, status=200)
    response = hourly.get(LIMITED_PATH, params={"login": "olga"}, status=429)
    assert 1 <= assert_429(response) <= 60
    assert response.headers["X-RateLimit-Limit"] == "3"
    # Counted per key: another login name, or the same from another address, still passes.
    hourly.get(LIMITED_PATH, params={"login": "boris"}, status=200)
    hourly.get(LIMITED_PATH, params={"login": "olga"}, extra_environ={"REMOTE_ADDR": "192.0.2.99"})


def test_enforce_hit_is_audited_although_the_request_is_aborted(hourly, dbsession):
    for _ in range(4):
        hourly.get(LIMITED_PATH, params={"login": "olga"}, expect_errors=True)
    actions = [e.action for e in dbsession.execute(select(AuditEvent)).scalars()]
    # The three allowed requests committed their row; the refused one rolled its own back.
    assert actions.count("test.attempt") == 3
    [event] = limit_events(dbsession)
    assert event.actor_id is None
    assert event.details == {
        "scope": "test-login",
        "limit": OPERATION_LIMIT,
        "subject": "192.0.2.10:olga",
    }


def test_storage_outage_fails_open():
    registry = FakeRegistry(
        make_limiter({"redis_url": "redis://127.0.0.1:1/0", "redis_timeout": 0.2})
    )
    request = FakeRequest(registry)
    for _ in range(3):
        enforce(request, "login", "k", "1/minute")  # no exception: the outage is logged
    assert hit(registry, "login", "k", "1/minute") is None


# --- shared storage across threads ------------------------------------------------------------


class FakeRegistry(dict):
    def __init__(self, limiter: Any, enabled: bool = True):
        super().__init__(rate_limiter=limiter)
        self.settings = {"rate_limit_enabled": enabled}


class FakeRequest:
    """What ``enforce`` reads from a request; audit writes are collected, not run."""

    def __init__(self, registry: FakeRegistry):
        self.registry = registry
        self.identity = None
        self.finished: list[Any] = []

    def add_finished_callback(self, callback: Any) -> None:
        self.finished.append(callback)


STORAGES = [
    "memory",
    pytest.param(
        "redis", marks=pytest.mark.skipif(not TEST_REDIS_URL, reason="needs THEBOT_TEST_REDIS_URL")
    ),
]


@pytest.mark.parametrize("storage", STORAGES)
def test_limit_holds_across_threads_sharing_the_storage(storage, redis_client):
    """Two server threads, one limiter: 5/minute admits exactly 5 of 20 concurrent attempts."""
    settings = {
        "redis_url": TEST_REDIS_URL if storage == "redis" else None,
        "redis_timeout": 2,
        "redis_key_prefix": TEST_REDIS_PREFIX,
    }
    limiter = make_limiter(settings)
    limiter.storage.reset()
    results: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def attempts() -> None:
        request = FakeRequest(FakeRegistry(limiter))
        start.wait()
        for _ in range(10):
            try:
                enforce(request, "login", "192.0.2.10:olga", "5/minute")
                outcome = "ok"
            except APIProblem as problem:
                assert problem.status == 429 and int(problem.headers["Retry-After"]) >= 1
                outcome = "429"
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=attempts) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 5 and results.count("429") == 15
    if storage == "redis":  # a second process sees the same counts
        other = make_limiter(settings)
        with pytest.raises(APIProblem):
            enforce(FakeRequest(FakeRegistry(other)), "login", "192.0.2.10:olga", "5/minute")
    limiter.storage.reset()


def test_disabled_enforce_never_refuses():
    request = FakeRequest(FakeRegistry(make_limiter({}), enabled=False))
    for _ in range(5):
        enforce(request, "login", "k", "1/minute")


# --- settings ---------------------------------------------------------------------------------


def test_rate_limit_settings_are_validated_at_start_up():
    settings = load_settings({"api_burst_limit": "20 per second"}, environ={})
    assert settings["api_rate_limit"] == "500/hour"
    assert settings["pairing_rate_limit"] == "5/minute"
    assert settings["api_burst_limit"] == "20 per second"
    assert settings["rate_limit_enabled"] is True
    with pytest.raises(ConfigurationError) as error:
        load_settings({}, environ={"API_RATE_LIMIT": "lots", "PAIRING_RATE_LIMIT": "0/minute"})
    assert "API_RATE_LIMIT" in str(error.value) and "PAIRING_RATE_LIMIT" in str(error.value)
