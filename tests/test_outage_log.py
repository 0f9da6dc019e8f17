"""Redis (or any dependency) down: one error per outage per component, then one summary."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from thebot.outages import OUTAGES, OutageLog, reason

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def _no_outage_state() -> Iterator[None]:
    OUTAGES.reset()
    yield
    OUTAGES.reset()


def test_one_error_per_outage_then_a_summary(caplog):
    now = [100.0]
    outages = OutageLog(logging.getLogger("test.outages"), clock=lambda: now[0])
    with caplog.at_level("INFO"):
        for _ in range(4):
            outages.failed("redis", ConnectionError("refused"))
        outages.failed("sessions", ConnectionError("refused"))
        now[0] += 12.5
        outages.recovered("redis")
        outages.recovered("redis")  # nothing left to report
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in lines] == ["ERROR", "ERROR", "WARNING"]
    assert "redis unavailable" in lines[0][1] and "sessions unavailable" in lines[1][1]
    assert lines[2][1] == "redis back after 12.5 s, 3 failures suppressed"


def test_public_reasons_are_short_words():

    from sqlalchemy.exc import OperationalError

    refused = OperationalError("SELECT 1", {}, ConnectionRefusedError("port 5432 refused"))
    assert reason(refused) == "unreachable"
    assert reason(TimeoutError("timed out")) == "timeout"
    assert reason(ValueError("odd")) == "error"


def test_redis_down_logs_once_not_per_request(make_app, client, make_user, auth_headers, caplog):
    """The API limits ask Redis twice per request (burst, then hourly): once logged in all."""
    from thebot.accounts.auth.ratelimit import make_limiter

    app = make_app(redis_url=CLOSED_PORT_REDIS, redis_timeout="0.2")
    user = make_user("student")
    test = client(app)
    headers = auth_headers(user)
    with caplog.at_level("WARNING"):
        for _ in range(5):
            test.get("/api/auth/me/", headers=headers, status=200)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == [
        "rate limit storage unavailable (limits not enforced)"
    ]
    assert not any(r.exc_info for r in caplog.records)

    caplog.clear()
    app.registry["rate_limiter"] = make_limiter({})  # Redis is back (a working storage)
    with caplog.at_level("WARNING"):
        test.get("/api/auth/me/", headers=headers, status=200)
    (summary,) = [r.getMessage() for r in caplog.records]
    assert summary.startswith("rate limit storage back after ")
    assert summary.endswith(", 9 failures suppressed")
