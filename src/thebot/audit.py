"""The audit trail: the ``audit_event`` table, and ``audit(request, action, ...)``: one row in it
plus a line on the ``audit`` logger.

Action names follow one scheme, ``<area>.<verb>`` in lower case with underscores inside a
part: ``auth.login_failed``, ``backup.requested``, ``parent_link.created``. ``audit`` refuses
any other name (a programming error the tests catch), so every recorded action matches
``ACTION_NAME``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from thebot.api import Request


class AuditEvent(Base):
    """A security-relevant event, written in the same transaction as the change it records."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    target_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


audit_log = logging.getLogger("audit")
SECRET_WORDS = ("password", "token", "secret", "code", "key", "credential")
ACTION_NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")


def checked_action(action: str) -> str:
    """``action`` if it follows ``<area>.<verb>``; ``ValueError`` otherwise."""
    if not ACTION_NAME.fullmatch(action):
        raise ValueError(f"audit action {action!r} is not <area>.<verb> (e.g. backup.requested)")
    return action


def scrub(details: dict[str, Any]) -> dict[str, Any]:
    """Drop anything that looks like a secret: audit details must never hold one.

    Nested objects and lists are scrubbed too, and values become JSON (dates as RFC 3339,
    sets as lists, anything else unknown as text) so the JSON column accepts them everywhere.
    """
    clean: dict[str, Any] = {}
    for name, value in details.items():
        if any(word in str(name).lower() for word in SECRET_WORDS):
            continue
        clean[str(name)] = _json_value(value)
    return clean


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return scrub(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_value(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def audit(
    request: Request,
    action: str,
    *,
    actor: Any = None,
    target_type: str | None = None,
    target_id: Any = None,
    dbsession: Any = None,
    **details: Any,
) -> AuditEvent:
    """Record ``action`` in the request's transaction (it commits or aborts with the change).

    ``actor`` defaults to the authenticated user; pass ``dbsession`` to write an event that
    must survive an aborted request (e.g. failed logins), on a separately committed session.
    """
    if actor is None:
        identity = getattr(request, "identity", None)
        actor = getattr(identity, "user", None)
    event = AuditEvent(
        actor_id=getattr(actor, "id", actor),
        action=checked_action(action),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip=getattr(request, "client_ip", None) or request.remote_addr,
        user_agent=(request.user_agent or "")[:512] or None,
        request_id=getattr(request, "request_id", None),
        details=scrub(details),
    )
    (dbsession or request.dbsession).add(event)
    audit_log.info(
        "%s actor=%s target=%s:%s ip=%s %s",
        action,
        event.actor_id,
        target_type or "-",
        event.target_id or "-",
        event.ip,
        json.dumps(event.details, sort_keys=True, default=str),
    )
    return event
