"""What the API limits read from their storage: an allowed request counts both limits but
reads only the hourly window (its ``X-RateLimit-*`` headers), a refused one reads the window
of the limit that refused it; ``enforce`` reads a window only to refuse."""

from __future__ import annotations

from test_ratelimit import (  # noqa: F401  (fixtures)
    LIMITED_PATH,
    burst,
    burst_app,
    hourly,
    hourly_app,
)


def count_window_reads(monkeypatch, app) -> list[str]:
    limiter = app.registry["rate_limiter"]
    read = limiter.get_window_stats
    reads: list[str] = []

    def counted(item, *identifiers):
        reads.append(identifiers[0])
        return read(item, *identifiers)

    monkeypatch.setattr(limiter, "get_window_stats", counted)
    return reads


def test_an_allowed_request_reads_only_the_hourly_window(
    monkeypatch, hourly, hourly_app, make_user, auth_headers
):
    reads = count_window_reads(monkeypatch, hourly_app)
    response = hourly.get("/api/notifications/", headers=auth_headers(make_user("student")))
    assert reads == ["api"]
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"


def test_a_burst_refusal_reads_the_burst_window(
    monkeypatch, burst, burst_app, make_user, auth_headers
):
    headers = auth_headers(make_user("student"))
    for _ in range(3):
        burst.get("/api/notifications/", headers=headers, status=200)
    reads = count_window_reads(monkeypatch, burst_app)
    refused = burst.get("/api/notifications/", headers=headers, status=429)
    assert reads == ["api-burst"]
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_enforce_reads_a_window_only_to_refuse(monkeypatch, hourly, hourly_app):
    reads = count_window_reads(monkeypatch, hourly_app)
    for _ in range(3):
        hourly.get(LIMITED_PATH, params={"login": "ann"}, status=200)
    assert reads == []
    refused = hourly.get(LIMITED_PATH, params={"login": "ann"}, status=429)
    assert reads == ["test-login"]
    assert refused.headers["X-RateLimit-Limit"] == "3"
