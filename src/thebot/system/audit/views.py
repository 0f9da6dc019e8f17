"""``GET /api/system/audit-log/``: security events for admins, filtered, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.api import ApiService, Request
from thebot.audit import AuditEvent
from thebot.pagination import page_body, paginate_request
from thebot.permissions import VIEW_AUDIT_LOG
from thebot.system.audit.schemas import AUDIT_LOG_RESPONSES, AuditLogRequest

audit_log = ApiService(
    name="audit_log", path="/api/system/audit-log/", description="Audit events (admins)"
)


def event_json(event: AuditEvent, usernames: dict[int, str]) -> dict[str, Any]:
    actor = None
    if event.actor_id is not None:
        actor = {"id": event.actor_id, "username": usernames.get(event.actor_id, "")}
    return {
        "id": event.id,
        "created_at": event.created_at.isoformat(),
        "action": event.action,
        "actor": actor,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "details": event.details or {},
    }


def usernames_of(dbsession: Session, events: list[AuditEvent]) -> dict[int, str]:
    """One query for the actors of a whole page (the page size never changes the count)."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    rows = dbsession.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: username for user_id, username in rows}


@audit_log.get(
    permission=VIEW_AUDIT_LOG,  # admins only: the metrics token must not read it
    schema=AuditLogRequest(),
    response_schemas=AUDIT_LOG_RESPONSES,
    tags=["system"],
)
def get_audit_log(request: Request) -> dict[str, Any]:
    """Filters ``actor`` (user id), ``action``, ``since`` (inclusive), ``until`` (exclusive)."""
    query = request.validated["querystring"]
    stmt = select(AuditEvent)
    if "actor" in query:
        stmt = stmt.where(AuditEvent.actor_id == query["actor"])
    if "action" in query:
        stmt = stmt.where(AuditEvent.action == query["action"])
    if "since" in query:
        stmt = stmt.where(AuditEvent.created_at >= query["since"])
    if "until" in query:
        stmt = stmt.where(AuditEvent.created_at < query["until"])
    # The id is the order events were recorded in: newest first, on the primary key.
    events, next_cursor = paginate_request(request, stmt, [(AuditEvent.id, "desc")])
    usernames = usernames_of(request.dbsession, events)
    return page_body([event_json(e, usernames) for e in events], next_cursor)
