"""Query-string schemas of the system endpoints."""

from __future__ import annotations

import colander

from thebot.schemas import StrictMapping


class MetricsQuery(StrictMapping):
    format = colander.SchemaNode(
        colander.String(), validator=colander.OneOf(["json", "prometheus"]), missing=colander.drop
    )


class MetricsRequest(colander.MappingSchema):
    querystring = MetricsQuery()


# --- responses (OpenAPI) ------------------------------------------------------------------
# Component figures vary by component and grow over time: their objects stay open.


def _text(**kw: object) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), **kw)


def _open(**kw: object) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Mapping(unknown="preserve"), **kw)


class LiveResponse(colander.MappingSchema):
    status = _text(validator=colander.OneOf(["alive"]))
    timestamp = colander.SchemaNode(colander.DateTime())


class ReadinessResponse(colander.MappingSchema):
    status = _text(validator=colander.OneOf(["ready", "not_ready"]))
    timestamp = colander.SchemaNode(colander.DateTime())
    dependencies = _open(description='"ok", "disabled" or "error" per dependency')
    error = _open(missing=colander.drop, description="A short reason per failing dependency")


class Component(colander.MappingSchema):
    status = _text()
    response_time_ms = colander.SchemaNode(colander.Float(), missing=colander.drop)

    def schema_type(self, **kw: object) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")


class Components(colander.MappingSchema):
    def schema_type(self, **kw: object) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")


class HealthStatus(colander.MappingSchema):
    status = _text(validator=colander.OneOf(["healthy", "degraded", "unhealthy"]))
    timestamp = colander.SchemaNode(colander.DateTime())
    components = _open(description="Each component: status, response_time_ms, details")


class HealthExtended(HealthStatus):
    resources = _open(description="cpu, memory, disk: percent and status")


class ComponentsResponse(colander.MappingSchema):
    timestamp = colander.SchemaNode(colander.DateTime())
    components = _open()


class UptimeResponse(colander.MappingSchema):
    started_at = colander.SchemaNode(colander.DateTime())
    uptime_seconds = colander.SchemaNode(colander.Float())
    sla = _open(description="Per window (24h, 7d, 30d): checks, up, percent (null: no checks)")
    timestamp = colander.SchemaNode(colander.DateTime())


class MetricsResponse(colander.MappingSchema):
    timestamp = colander.SchemaNode(colander.DateTime())
    requests = _open()
    resources = _open()
    database = _open()
    cache = _open()
    queue = _open()


class StatusComponent(colander.MappingSchema):
    name = _text()
    status = _text()


class StatusComponents(colander.SequenceSchema):
    component = StatusComponent()


class Incidents(colander.SequenceSchema):
    incident = _open()


class StatusPageResponse(colander.MappingSchema):
    status = _text(validator=colander.OneOf(["operational", "degraded", "outage"]))
    components = StatusComponents()
    incidents = Incidents()
    updated_at = colander.SchemaNode(colander.DateTime())
