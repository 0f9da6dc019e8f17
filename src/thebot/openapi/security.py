"""Security schemes of the document and the requirement of each operation."""

from __future__ import annotations

from typing import Any

from pyramid.security import NO_PERMISSION_REQUIRED

SESSION_COOKIE = (
    "thebot_session"  # accounts.credentials.sessions.COOKIE_NAME (core imports no feature)
)

SCHEMES: dict[str, Any] = {
    "token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Authorization: Token <key>`, the key from `POST /api/auth/login/`.",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <key>`: the same key as `token`.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": 'Browser session (login with `"session": true`).',
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "With the session cookie on POST/PUT/PATCH/DELETE "
        "(from `GET /api/auth/csrf/`).",
    },
    "metrics": {
        "type": "http",
        "scheme": "bearer",
        "description": "The monitoring token (`THEBOT_METRICS_TOKEN`): health, metrics, "
        "components and uptime only.",
    },
}

# What the monitoring token may read (API.md: machine credentials see these only).
MONITOR_PATHS = (
    "/api/system/health/",
    "/api/system/health-extended/",
    "/api/system/metrics/",
    "/api/system/components/",
    "/api/system/uptime/",
)


def requirements(path: str, method: str, permission: Any) -> list[dict[str, list[str]]]:
    """Any one of the user credentials; none for public views (an empty list)."""
    if permission in (None, NO_PERMISSION_REQUIRED):
        return []
    session: dict[str, list[str]] = {"session": []}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        session["csrf"] = []
    options: list[dict[str, list[str]]] = [{"token": []}, {"bearer": []}, session]
    if path in MONITOR_PATHS:
        options.append({"metrics": []})
    return options
