"""Schemas of the audit-log API, and the RFC 3339 date-time type its filters use."""

from __future__ import annotations

from typing import Any

import colander

from thebot.pagination import PaginationQuery
from thebot.schemas import RFC3339DateTime, StrictMapping, id_range


def check_period(node: Any, value: dict[str, Any]) -> None:
    since, until = value.get("since"), value.get("until")
    if since is not None and until is not None and until <= since:
        error = colander.Invalid(node)
        error["until"] = "Must be later than since"
        raise error


class AuditLogQuery(StrictMapping, PaginationQuery):
    """Filters: ``since`` is inclusive, ``until`` exclusive (adjacent periods do not overlap)."""

    actor = colander.SchemaNode(
        colander.Integer(),
        validator=id_range(),
        missing=colander.drop,
        description="The acting user's id",
    )
    action = colander.SchemaNode(
        colander.String(),
        validator=colander.Length(1, 64),
        missing=colander.drop,
        description="Exact action name (<area>.<verb>): auth.login_failed, backup.requested",
    )
    since = colander.SchemaNode(
        RFC3339DateTime(), missing=colander.drop, description="Events at or after (RFC 3339)"
    )
    until = colander.SchemaNode(
        RFC3339DateTime(), missing=colander.drop, description="Events before (RFC 3339)"
    )


class AuditLogRequest(colander.MappingSchema):
    querystring = AuditLogQuery(validator=check_period)


class AuditActor(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    username = colander.SchemaNode(colander.String())


class AuditEventSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    created_at = colander.SchemaNode(colander.String(), description="RFC 3339, UTC")
    action = colander.SchemaNode(colander.String())
    actor = AuditActor(missing=None, description="null for anonymous callers and the system")
    target_type = colander.SchemaNode(colander.String(), missing=None)
    target_id = colander.SchemaNode(colander.String(), missing=None)
    ip = colander.SchemaNode(colander.String(), missing=None)
    user_agent = colander.SchemaNode(colander.String(), missing=None)
    request_id = colander.SchemaNode(colander.String(), missing=None)
    details = colander.SchemaNode(colander.Mapping(unknown="preserve"))


class AuditEventList(colander.SequenceSchema):
    event = AuditEventSchema()


class AuditLogPage(colander.MappingSchema):
    items = AuditEventList()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)


class AuditLogResponse(colander.MappingSchema):
    body = AuditLogPage()


AUDIT_LOG_RESPONSES = {"200": AuditLogResponse(description="Audit events, newest first")}
