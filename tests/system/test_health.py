"""Admin-only health, components, extended health, uptime/SLA, metrics, status page."""

from __future__ import annotations

import datetime as dt

import pytest

from thebot.db import utcnow
from thebot.system import checks
from thebot.system.models import HealthCheck
from thebot.system.service import record_health_check

ADMIN_ONLY = [
    "/api/system/health/",
    "/api/system/health-extended/",
    "/api/system/components/",
    "/api/system/uptime/",
    "/api/system/metrics/",
]


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_admin_endpoints_refuse_anonymous_callers(testapp, path):
    response = testapp.get(path, status=401)
    assert response.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_admin_endpoints_refuse_a_wrong_metrics_token(testapp, path):
    testapp.get(path, headers={"Authorization": "Bearer wrong"}, status=401)


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_admin_endpoints_accept_the_metrics_token(testapp, monitor_headers, path):
    testapp.get(path, headers=monitor_headers, status=200)


def test_health_lists_each_component_with_response_time(testapp, monitor_headers, live_processes):
    body = testapp.get("/api/system/health/", headers=monitor_headers).json
    assert body["status"] == "healthy"
    for name in ("api", "database", "cache", "queue", "workers", "scheduler", "websocket"):
        assert "response_time_ms" in body["components"][name], name
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["websocket"]["status"] == "disabled"


def test_health_extended_reports_resources_and_thresholds(testapp, monitor_headers, monkeypatch):
    body = testapp.get("/api/system/health-extended/", headers=monitor_headers).json
    for name in ("cpu", "memory", "disk"):
        assert 0 <= body["resources"][name]["percent"] <= 100
    monkeypatch.setattr(checks.psutil, "cpu_percent", lambda interval=None: 85.0)
    body = testapp.get("/api/system/health-extended/", headers=monitor_headers).json
    assert body["resources"]["cpu"]["status"] == "degraded" and body["status"] == "degraded"
    monkeypatch.setattr(checks.psutil, "cpu_percent", lambda interval=None: 95.0)
    body = testapp.get("/api/system/health-extended/", headers=monitor_headers).json
    assert body["resources"]["cpu"]["status"] == "unhealthy" and body["status"] == "unhealthy"


@pytest.mark.parametrize(
    ("percent", "status"),
    [(80.0, "healthy"), (80.1, "degraded"), (90.0, "degraded"), (90.1, "unhealthy")],
)
def test_resource_thresholds(percent, status):
    assert checks.resource_status(percent) == status


def test_components_report_pool_and_request_figures(testapp, monitor_headers):
    body = testapp.get("/api/system/components/", headers=monitor_headers).json
    comps = body["components"]
    assert comps["database"]["backend"] in {"sqlite", "postgresql"}
    assert "checked_out" in comps["database"]["pool"]
    assert comps["api"]["requests"]["total"] >= 0
    assert "queue_depth" in comps["queue"]
    assert comps["workers"]["status"] == comps["scheduler"]["status"] == "error"  # none runs


def test_metrics_json(testapp, monitor_headers):
    testapp.get("/api/system/health/live/")
    body = testapp.get("/api/system/metrics/", headers=monitor_headers).json
    assert body["requests"]["total"] >= 1
    assert set(body["resources"]) >= {"cpu", "memory", "disk"}
    assert "pool_checked_out" in body["database"]
    assert "hit_ratio" in body["cache"]
    assert isinstance(body["queue"]["depth"], dict)


@pytest.mark.parametrize(
    "how", [{"params": {"format": "prometheus"}}, {"headers": {"Accept": "text/plain"}}]
)
def test_metrics_prometheus_exposition(testapp, monitor_headers, how):
    testapp.get("/api/system/health/live/")
    testapp.get("/api/nowhere/", status=404)
    headers = {**monitor_headers, **how.get("headers", {})}
    response = testapp.get("/api/system/metrics/", params=how.get("params"), headers=headers)
    assert response.content_type == "text/plain"
    text = response.text
    assert 'thebot_http_requests_total{method="GET",route="health_live",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "thebot_http_request_duration_seconds_bucket" in text
    for gauge in (
        "thebot_cpu_percent",
        "thebot_memory_percent",
        "thebot_disk_percent",
        "thebot_db_pool_checked_out",
        "thebot_cache_hit_ratio",
        "thebot_http_error_rate",
        "thebot_task_queue_depth",
    ):
        assert f"\n{gauge}" in text or text.startswith(gauge) or f"# TYPE {gauge}" in text, gauge


def test_cache_hits_and_misses_are_counted(app):
    region = app.registry["cache_regions"]["dashboard"]
    stats = app.registry["cache_stats"]
    before = (stats.hits["dashboard"], stats.misses["dashboard"])
    region.get_or_create("answer", lambda: 42)
    region.get_or_create("answer", lambda: 42)
    assert stats.misses["dashboard"] >= before[1] + 1
    assert stats.hits["dashboard"] >= before[0] + 1


def test_recorded_checks_drive_uptime_sla(testapp, dbsession, monitor_headers):
    now = utcnow()
    rows = [
        HealthCheck(checked_at=now - dt.timedelta(hours=1), status="ok", components={}),
        HealthCheck(
            checked_at=now - dt.timedelta(hours=2), status="down", components={"database": "error"}
        ),
        HealthCheck(
            checked_at=now - dt.timedelta(hours=3),
            status="degraded",
            components={"cache": "error"},
        ),
        HealthCheck(checked_at=now - dt.timedelta(hours=4), status="ok", components={}),
        HealthCheck(checked_at=now - dt.timedelta(days=3), status="down", components={}),
    ]
    dbsession.add_all(rows)
    dbsession.flush()
    body = testapp.get("/api/system/uptime/", headers=monitor_headers).json
    assert body["sla"]["24h"] == {"checks": 4, "up": 3, "percent": 75.0}
    assert body["sla"]["7d"] == {"checks": 5, "up": 3, "percent": 60.0}
    assert body["uptime_seconds"] >= 0 and body["started_at"]


def test_uptime_without_checks_has_no_percentage(testapp, monitor_headers):
    body = testapp.get("/api/system/uptime/", headers=monitor_headers).json
    assert body["sla"]["30d"]["percent"] is None


def test_record_health_check_stores_a_row_and_prunes_old_ones(app, dbsession, live_processes):
    old = HealthCheck(checked_at=utcnow() - dt.timedelta(days=90), status="ok", components={})
    dbsession.add(old)
    dbsession.flush()
    check = record_health_check(dbsession, app.registry)
    assert check.status == "ok" and check.components["database"] == "ok"
    assert check.components["workers"] == check.components["scheduler"] == "ok"
    assert dbsession.get(HealthCheck, old.id) is None


def test_health_check_actor_runs_through_the_broker(app, dbsession, broker, worker):
    from sqlalchemy import func, select

    from thebot.tasks import get_actor

    before = dbsession.scalar(select(func.count(HealthCheck.id)))
    get_actor(app.registry, "system.record_health_check").send()
    broker.join("default")
    worker.join()
    assert dbsession.scalar(select(func.count(HealthCheck.id))) == before + 1


def test_status_page_html_is_public_and_shows_incidents(testapp, dbsession, live_processes):
    now = utcnow()
    dbsession.add_all(
        [
            HealthCheck(
                checked_at=now - dt.timedelta(hours=3),
                status="down",
                components={"database": "error"},
            ),
            HealthCheck(checked_at=now - dt.timedelta(hours=2), status="ok", components={}),
        ]
    )
    dbsession.flush()
    response = testapp.get("/api/system/status-page/", headers={"Accept": "text/html"})
    assert response.content_type == "text/html"
    assert "THE_BOT status" in response.text and "All systems operational" in response.text
    assert "Database" in response.text and "<script" not in response.text


def test_status_page_json_has_components_and_incidents_without_internals(
    testapp, dbsession, live_processes
):
    now = utcnow()
    dbsession.add_all(
        [
            HealthCheck(
                checked_at=now - dt.timedelta(hours=3),
                status="down",
                components={"database": "error"},
            ),
            HealthCheck(
                checked_at=now - dt.timedelta(hours=2),
                status="down",
                components={"database": "error"},
            ),
            HealthCheck(checked_at=now - dt.timedelta(hours=1), status="ok", components={}),
        ]
    )
    dbsession.flush()
    body = testapp.get("/api/system/status-page/", headers={"Accept": "application/json"}).json
    assert body["status"] == "operational"
    assert {c["name"] for c in body["components"]} == {
        "API",
        "Database",
        "Cache",
        "Background jobs",
    }
    incident = body["incidents"][0]
    assert incident["severity"] == "down" and incident["components"] == ["Database"]
    assert incident["resolved_at"] is not None
    text = str(body)
    assert "response_time" not in text and "error" not in text.lower().replace("errors", "")
