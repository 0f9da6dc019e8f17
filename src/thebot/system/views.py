"""System endpoints: probes, health, metrics, uptime, status page, OpenAPI."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.api import ApiService, Request
from thebot.db import utcnow
from thebot.permissions import VIEW_SYSTEM
from thebot.schemas import NoQueryRequest
from thebot.system import schemas, service
from thebot.system.checks import resource_usage
from thebot.system.metrics import db_pool_checked_out
from thebot.system.schemas import MetricsRequest
from thebot.tasks import queue_depth

TAGS = ["system"]
READY = {
    "200": schemas.ReadinessResponse(description="Every dependency answers"),
    "503": schemas.ReadinessResponse(description="Not ready: `error` names each failing one"),
}

live = ApiService(
    name="health_live", path="/api/system/health/live/", description="Liveness probe"
)
ready = ApiService(
    name="health_ready", path="/api/system/health/ready/", description="Readiness probe"
)
readiness = ApiService(
    name="readiness", path="/api/system/readiness/", description="Readiness probe (alias)"
)
health = ApiService(name="health", path="/api/system/health/", description="Component health")
health_extended = ApiService(
    name="health_extended",
    path="/api/system/health-extended/",
    description="Health plus host resources",
)
components = ApiService(
    name="components", path="/api/system/components/", description="Per-component metrics"
)
uptime = ApiService(name="uptime", path="/api/system/uptime/", description="Uptime and SLA")
metrics = ApiService(
    name="metrics", path="/api/system/metrics/", description="Metrics (JSON or Prometheus)"
)
status_page = ApiService(
    name="status_page", path="/api/system/status-page/", description="Public status page"
)


@live.get(
    permission=NO_PERMISSION_REQUIRED,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={"200": schemas.LiveResponse(description="Alive")},
)
def get_live(request: Request) -> dict[str, Any]:
    """The process answers: no dependency is checked."""
    return {"status": "alive", "timestamp": utcnow().isoformat()}


@ready.get(
    permission=NO_PERMISSION_REQUIRED, schema=NoQueryRequest(), tags=TAGS, response_schemas=READY
)
@readiness.get(
    permission=NO_PERMISSION_REQUIRED, schema=NoQueryRequest(), tags=TAGS, response_schemas=READY
)
def get_ready(request: Request) -> dict[str, Any]:
    """Database and Redis reachable; 503 naming each failing dependency."""
    ok, body = service.readiness(request.registry)
    if not ok:
        request.response.status = 503
    request.response.cache_control = "no-store"
    return body


@health.get(
    permission=VIEW_SYSTEM,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={"200": schemas.HealthStatus(description="Each component's status")},
)
def get_health(request: Request) -> dict[str, Any]:
    return service.health(request.registry)


@health_extended.get(
    permission=VIEW_SYSTEM,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={"200": schemas.HealthExtended(description="Health and host resources")},
)
def get_health_extended(request: Request) -> dict[str, Any]:
    return service.health_extended(request.registry)


@components.get(
    permission=VIEW_SYSTEM,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={"200": schemas.ComponentsResponse(description="Component figures")},
)
def get_components(request: Request) -> dict[str, Any]:
    return service.components(request.registry)


@uptime.get(
    permission=VIEW_SYSTEM,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={"200": schemas.UptimeResponse(description="Uptime and SLA")},
)
def get_uptime(request: Request) -> dict[str, Any]:
    return service.uptime(request.dbsession)


def wants_prometheus(request: Request) -> bool:
    fmt = request.validated.get("querystring", {}).get("format")
    if fmt:
        return fmt == "prometheus"
    offers = request.accept.acceptable_offers(["application/json", "text/plain"])
    return bool(offers) and offers[0][0] == "text/plain"


@metrics.get(
    permission=VIEW_SYSTEM,
    schema=MetricsRequest(),
    tags=TAGS,
    response_schemas={
        "200": schemas.MetricsResponse(
            description="JSON; Prometheus text with ?format=prometheus or Accept: text/plain",
            content_types=("application/json", "text/plain"),
        )
    },
)
def get_metrics(request: Request) -> Any:
    registry = request.registry
    if wants_prometheus(request):
        return Response(
            body=generate_latest(registry["prometheus"]),
            content_type=CONTENT_TYPE_LATEST,
            charset=None,
        )
    try:
        queues: Any = queue_depth(registry["task_broker"])
    except Exception as exc:  # broker down: report, do not fail the scrape
        queues = {"error": type(exc).__name__}
    return {
        "timestamp": utcnow().isoformat(),
        "requests": registry["request_stats"].as_dict(),
        "resources": resource_usage(registry.settings["media_root"]),
        "database": {"pool_checked_out": db_pool_checked_out(registry)},
        "cache": registry["cache_stats"].as_dict(),
        "queue": {"depth": queues},
    }


@status_page.get(
    permission=NO_PERMISSION_REQUIRED,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={
        "200": schemas.StatusPageResponse(
            description="HTML, or JSON with Accept: application/json",
            content_types=("text/html", "application/json"),
        )
    },
)
def get_status_page(request: Request) -> Any:
    """HTML for browsers, JSON with ``Accept: application/json``; no internals either way."""
    data = service.status_page(request.registry, request.dbsession)
    offers = request.accept.acceptable_offers(["text/html", "application/json"])
    if offers and offers[0][0] == "application/json":
        return data
    return render_to_response("thebot:templates/status_page.jinja2", data, request=request)
