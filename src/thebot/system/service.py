"""System operations: readiness, health, uptime/SLA from recorded checks, status page data."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from thebot.db import utcnow
from thebot.system.checks import (
    CheckResult,
    check_database,
    check_redis,
    resource_usage,
    run_component_checks,
    worst,
)
from thebot.system.models import HealthCheck

PROCESS_STARTED = time.time()
SLA_WINDOWS = {
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
}
STATUS_PAGE_COMPONENTS = {
    "api": "API",
    "database": "Database",
    "cache": "Cache",
    "queue": "Background jobs",
}


def readiness(registry: Any) -> tuple[bool, dict[str, Any]]:
    """Database (a query) and Redis (PING), each bounded by ``readiness_timeout``.

    The body is public: a failing dependency gets a short reason (``unreachable``,
    ``timeout``), never the driver's message (hosts, ports); that goes to the log and to
    the admin-only health endpoint.
    """
    results = {"database": check_database(registry), "redis": check_redis(registry)}
    ready = all(r.status != "error" for r in results.values())
    body: dict[str, Any] = {
        "status": "ready" if ready else "not_ready",
        "timestamp": utcnow().isoformat(),
        "dependencies": {
            name: "ok" if r.status == "ok" else r.status for name, r in results.items()
        },
    }
    if not ready:
        body["error"] = {
            name: r.reason or "error" for name, r in results.items() if r.status == "error"
        }
    return ready, body


def overall(results: dict[str, CheckResult]) -> str:
    if results["database"].status == "error":
        return "unhealthy"
    if any(r.status == "error" for r in results.values()):
        return "degraded"
    return "healthy"


def health(registry: Any) -> dict[str, Any]:
    start = time.perf_counter()
    results = run_component_checks(registry)
    components = {"api": {"status": "ok", "response_time_ms": 0.0}}
    components.update({name: r.as_dict() for name, r in results.items()})
    components["api"]["response_time_ms"] = round((time.perf_counter() - start) * 1000, 2)
    return {
        "status": overall(results),
        "timestamp": utcnow().isoformat(),
        "components": components,
    }


def health_extended(registry: Any) -> dict[str, Any]:
    body = health(registry)
    resources = resource_usage(registry.settings["media_root"])
    body["resources"] = resources
    statuses = [body["status"]] + [resources[k]["status"] for k in ("cpu", "memory", "disk")]
    body["status"] = worst(statuses)
    return body


def components(registry: Any) -> dict[str, Any]:
    """Per-component metrics: health, plus request, cache, pool and queue figures."""
    results = run_component_checks(registry)
    engine = registry["dbengine"]
    pool = engine.pool
    database = results["database"].as_dict()
    database.update(
        backend=engine.dialect.name,
        pool={
            "size": _call(pool, "size"),
            "checked_out": _call(pool, "checkedout"),
            "overflow": _call(pool, "overflow"),
        },
    )
    return {
        "timestamp": utcnow().isoformat(),
        "components": {
            "api": {"status": "ok", "requests": registry["request_stats"].as_dict()},
            "database": database,
            "cache": results["cache"].as_dict(),
            "queue": results["queue"].as_dict(),
            "workers": results["workers"].as_dict(),
            "scheduler": results["scheduler"].as_dict(),
            "redis": results["redis"].as_dict(),
            "websocket": results["websocket"].as_dict(),
        },
    }


def _call(obj: Any, name: str) -> int | None:
    fn = getattr(obj, name, None)
    return int(fn()) if callable(fn) else None


def record_health_check(dbsession: Session, registry: Any) -> HealthCheck:
    """Run the component checks once and store the outcome (the uptime evidence)."""
    start = time.perf_counter()
    results = run_component_checks(registry)
    status = {"healthy": "ok", "degraded": "degraded", "unhealthy": "down"}[overall(results)]
    check = HealthCheck(
        checked_at=utcnow(),
        status=status,
        response_ms=(time.perf_counter() - start) * 1000,
        components={name: r.status for name, r in results.items()},
    )
    dbsession.add(check)
    retention = dt.timedelta(days=registry.settings["health_check_retention_days"])
    dbsession.execute(delete(HealthCheck).where(HealthCheck.checked_at < utcnow() - retention))
    dbsession.flush()
    return check


def uptime(dbsession: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    """Process uptime and SLA percentages (checks not ``down`` / all checks) per window."""
    now = now or utcnow()
    sla: dict[str, Any] = {}
    up = case((HealthCheck.status != "down", 1), else_=0)
    for label, window in SLA_WINDOWS.items():
        total, ok = dbsession.execute(
            select(func.count(HealthCheck.id), func.coalesce(func.sum(up), 0)).where(
                HealthCheck.checked_at >= now - window, HealthCheck.checked_at <= now
            )
        ).one()
        sla[label] = {
            "checks": int(total),
            "up": int(ok),
            "percent": round(100.0 * int(ok) / int(total), 3) if total else None,
        }
    seconds = int(time.time() - PROCESS_STARTED)
    return {
        "started_at": dt.datetime.fromtimestamp(PROCESS_STARTED, dt.timezone.utc).isoformat(),
        "uptime_seconds": seconds,
        "sla": sla,
        "timestamp": now.isoformat(),
    }


def incidents(
    dbsession: Session, days: int = 7, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Consecutive non-ok checks folded into incidents, newest first; no internals."""
    now = now or utcnow()
    rows = dbsession.execute(
        select(HealthCheck.checked_at, HealthCheck.status, HealthCheck.components)
        .where(HealthCheck.checked_at >= now - dt.timedelta(days=days))
        .order_by(HealthCheck.checked_at)
    ).all()
    found: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for checked_at, status, comps in rows:
        if status == "ok":
            if current:
                current["resolved_at"] = checked_at.isoformat()
                current = None
            continue
        affected = sorted(
            STATUS_PAGE_COMPONENTS.get(name, name)
            for name, state in (comps or {}).items()
            if state == "error" and name in STATUS_PAGE_COMPONENTS
        )
        if current is None:
            current = {
                "started_at": checked_at.isoformat(),
                "resolved_at": None,
                "severity": status,
                "components": [],
            }
            found.append(current)
        if status == "down":
            current["severity"] = "down"
        current["components"] = sorted(set(current["components"]) | set(affected))
    return list(reversed(found))


def status_page(registry: Any, dbsession: Session) -> dict[str, Any]:
    """Renders with the database down too: the incidents are then left out."""
    results = run_component_checks(registry)
    recent: list[dict[str, Any]] = []
    if results["database"].status != "error":
        try:
            recent = incidents(dbsession)
        except SQLAlchemyError:  # went down since the check: the page still answers
            dbsession.rollback()
            results["database"] = CheckResult("error", error="lost during the page")
    public = {"api": "operational"}
    for name in ("database", "cache", "queue"):
        public[name] = "operational" if results[name].status != "error" else "outage"
    state = overall(results)
    return {
        "status": {"healthy": "operational", "degraded": "degraded", "unhealthy": "outage"}[state],
        "components": [
            {"name": STATUS_PAGE_COMPONENTS[k], "status": v} for k, v in public.items()
        ],
        "incidents": recent,
        "updated_at": utcnow().isoformat(),
    }
