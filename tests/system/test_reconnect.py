"""A lost database connection does not need an app restart: the next request reconnects."""

from __future__ import annotations

import pytest
import webtest
from sqlalchemy import text

from testenv import TEST_DATABASE_URL, TEST_HOST

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"), reason="needs PostgreSQL"
)
APP_NAME = "thebot_reconnect_test"


def test_requests_survive_terminated_database_connections(make_app, engine, monitor_headers):
    sep = "&" if "?" in TEST_DATABASE_URL else "?"
    app = make_app(
        own_engine=True, database_url=f"{TEST_DATABASE_URL}{sep}application_name={APP_NAME}"
    )
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": TEST_HOST})
    client.get("/api/system/health/ready/", status=200)
    client.get("/api/system/uptime/", headers=monitor_headers, status=200)
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": APP_NAME},
        ).scalar()
    assert killed >= 1
    client.get("/api/system/health/ready/", status=200)
    client.get("/api/system/uptime/", headers=monitor_headers, status=200)
    app.registry["dbengine"].dispose()
