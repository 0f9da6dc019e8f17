"""Machine credentials (the metrics token) see health, metrics, components and uptime only.

Two walks over the real application: every view whose permission the monitoring principal
holds on the root must be one of those monitoring routes (a new view that reuses the
permission by mistake fails here), and every GET route answered with the token, whatever its
path parameters, is refused unless it is one of them (the audit log was readable before).
"""

from __future__ import annotations

import re

from pyramid.authorization import ACLHelper, Everyone
from pyramid.security import NO_PERMISSION_REQUIRED

from test_route_permissions import view_permissions
from thebot.security import MONITOR_PRINCIPAL, Root

MONITORING_ROUTES = {"health", "health_extended", "components", "uptime", "metrics"}
MONITOR_PRINCIPALS = [Everyone, MONITOR_PRINCIPAL]


def test_the_token_holds_only_the_monitoring_views_permission(app):
    root = Root(None)
    granted = set()
    for intr, permissions in view_permissions(app.registry):
        for permission in permissions:
            if permission in (None, NO_PERMISSION_REQUIRED):
                continue
            if ACLHelper().permits(root, MONITOR_PRINCIPALS, permission):
                granted.add(intr["route_name"])
    assert granted == MONITORING_ROUTES


def test_the_token_is_refused_on_every_other_get_route(app, testapp, monitor_headers):
    allowed = []
    for route in app.routes_mapper.get_routes():
        if not route.pattern.startswith("/api/") or route.pattern.startswith("/api/test/"):
            continue  # the test suite's own support views are not the application
        path = re.sub(r"\{[^}]+\}", "1", route.pattern)
        res = testapp.get(path, headers=monitor_headers, expect_errors=True)
        if res.status_int < 400:
            allowed.append(route.name)
    public = {"health_live", "health_ready", "readiness", "status_page", "auth_csrf", "openapi"}
    public.add("api_docs")  # public in development (API_DOCS), as the test app runs
    assert set(allowed) - public == MONITORING_ROUTES


def test_the_audit_log_is_refused_to_the_token(testapp, monitor_headers):
    res = testapp.get("/api/system/audit-log/", headers=monitor_headers, status=403)
    assert res.json["type"].endswith("/permission-denied")
