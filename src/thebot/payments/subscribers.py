"""Every payment state change is audited, in its transaction (``thebot.audit``)."""

from __future__ import annotations

import logging

from thebot.audit import AuditEvent, audit, audit_log, checked_action, scrub
from thebot.events import Committing, DomainEvent

log = logging.getLogger(__name__)


def audit_event(committing: Committing, event: DomainEvent) -> None:
    """One audit row per payments event (the actor: the caller, or the system)."""
    payload = event.payload()
    target_type, _, _ = event.name.partition(".")
    target_id = payload.get(f"{target_type}_id") or payload.get("payment_id")
    action = event.name  # <area>.<verb> already: payment.succeeded, invoice.changed
    request = committing.request
    if request is not None and getattr(request, "environ", None) is not None:
        try:
            audit(
                request,
                action,
                target_type=target_type,
                target_id=target_id,
                dbsession=committing.dbsession,
                **payload,
            )
            return
        except AttributeError:  # a prepared request without a client (a task)
            pass
    row = AuditEvent(
        action=checked_action(action),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=scrub(payload),
    )
    committing.dbsession.add(row)
    audit_log.info("%s actor=system target=%s:%s %s", action, target_type, target_id, payload)
