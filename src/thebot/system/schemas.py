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
    status = _text(description='"ok", "error" or "disabled"')
    response_time_ms = colander.SchemaNode(colander.Float(), missing=colander.drop)
    error = _text(missing=colander.drop, description="What failed, in the driver's words")
    reason = _text(
        missing=colander.drop,
        description='"unreachable", "timeout", "error", or "unserved" (nothing consumes)',
    )

    def schema_type(self, **kw: object) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")


class Strings(colander.SequenceSchema):
    item = _text()


class ProcessSeen(colander.MappingSchema):
    host = _text()
    pid = colander.SchemaNode(colander.Integer())
    queues = Strings(description="The queues it consumes (workers)")
    state = _text(description='"running", "waiting for the task broker", ...')
    started_at = colander.SchemaNode(colander.DateTime())
    last_seen = colander.SchemaNode(colander.DateTime(), description="Its last heartbeat")
    seconds_ago = colander.SchemaNode(colander.Float())
    live = colander.SchemaNode(
        colander.Boolean(), description="Last heartbeat younger than HEARTBEAT_TIMEOUT"
    )
    in_process = colander.SchemaNode(
        colander.Boolean(),
        missing=colander.drop,
        description="The worker or scheduler thread of this web process (development)",
    )


class Processes(colander.SequenceSchema):
    process = ProcessSeen()


class ProcessesComponent(Component):
    live = colander.SchemaNode(
        colander.Integer(),
        missing=colander.drop,
        description="Processes with a fresh heartbeat (absent: heartbeats unreadable)",
    )
    processes = Processes(missing=colander.drop, description="Seen in the last hour, newest first")


class QueueState(colander.MappingSchema):
    name = _text()
    depth = colander.SchemaNode(colander.Integer(), description="Messages ready to run")
    oldest_seconds = colander.SchemaNode(
        colander.Float(),
        missing=None,
        description="How long its oldest due message has waited; null: none waits",
    )
    consumers = colander.SchemaNode(
        colander.Integer(),
        missing=None,
        description="Live workers consuming it; null: unknown (database unavailable)",
    )


class QueueStates(colander.SequenceSchema):
    queue = QueueState()


class QueueComponent(Component):
    broker = _text(missing=colander.drop, description='"redis", "inprocess" or "stub"')
    queue_depth = _open(missing=colander.drop, description="Messages ready, per queue")
    queues = QueueStates(missing=colander.drop)


class Components(colander.MappingSchema):
    """Each component; ``queue``, ``workers`` and ``scheduler`` are ``error`` when no live
    process serves them (see the health section of the README)."""

    api = Component()
    database = Component()
    cache = Component()
    queue = QueueComponent(
        description="Error when no worker is live, or when a queue has a message waiting "
        "longer than QUEUE_STALE_MINUTES that no live worker consumes"
    )
    workers = ProcessesComponent(description="thebot-worker processes by heartbeat")
    scheduler = ProcessesComponent(description="thebot-scheduler by heartbeat")
    redis = Component()
    websocket = Component()

    def schema_type(self, **kw: object) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")


class HealthStatus(colander.MappingSchema):
    status = _text(validator=colander.OneOf(["healthy", "degraded", "unhealthy"]))
    timestamp = colander.SchemaNode(colander.DateTime())
    components = Components()


class HealthExtended(HealthStatus):
    resources = _open(description="cpu, memory, disk: percent and status")


class ComponentsResponse(colander.MappingSchema):
    timestamp = colander.SchemaNode(colander.DateTime())
    components = Components()


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
