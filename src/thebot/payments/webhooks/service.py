"""Provider notifications: who may send them, and the one path that acts on them.

A notification only says "look at object X": the object is re-fetched from the provider
and only the fetched status and amount count (``payments.service.apply_payment``). Unknown
ids are ignored (and logged); a repeated or late notification changes nothing.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.payments.payments import service as payments
from thebot.payments.payments.models import Payment
from thebot.payments.providers.base import Provider

log = logging.getLogger(__name__)

PAYMENT_EVENTS = frozenset(
    {"payment.succeeded", "payment.waiting_for_capture", "payment.canceled"}
)
REFUND_EVENTS = frozenset({"refund.succeeded"})


def address_allowed(address: str | None, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def process_notification(
    dbsession: Session, provider: Provider, event: str, object_id: str
) -> str:
    """Act on a notification about ``object_id``: ``applied``, ``unchanged`` or ``ignored``."""
    if event in PAYMENT_EVENTS:
        payment = payments.by_provider_id(dbsession, object_id)
        if payment is None:
            log.warning("webhook %s for unknown payment %r ignored", event, object_id)
            return "ignored"
        changed = payments.sync_payment(dbsession, provider, payment)
        return "applied" if changed else "unchanged"
    if event in REFUND_EVENTS:
        item = payments.refund_by_provider_id(dbsession, object_id)
        if item is None:
            log.warning("webhook %s for unknown refund %r ignored", event, object_id)
            return "ignored"
        return "applied" if payments.sync_refund(dbsession, provider, item) else "unchanged"
    log.info("webhook event %r ignored", event)
    return "ignored"


def stuck_payments(
    dbsession: Session, now: dt.datetime, minutes: int, limit: int = 100
) -> list[int]:
    """Ids of payments still open ``minutes`` after creation (their webhook may be lost)."""
    cutoff = now - dt.timedelta(minutes=minutes)
    return list(
        dbsession.scalars(
            select(Payment.id)
            .where(
                Payment.status.in_(tuple(payments.OPEN)),
                Payment.created_at <= cutoff,
                Payment.provider_payment_id.is_not(None),
            )
            .order_by(Payment.created_at, Payment.id)
            .limit(limit)
        )
    )


def poll(dbsession: Session, provider: Provider, now: dt.datetime, minutes: int) -> int:
    """Ask the provider about stuck payments, through the same path as webhooks."""
    changed = 0
    for payment_id in stuck_payments(dbsession, now, minutes):
        payment = dbsession.get(Payment, payment_id)
        if payment is None:
            continue
        try:
            changed += payments.sync_payment(dbsession, provider, payment)
        except Exception:  # one unreachable payment must not stop the others
            log.exception("polling payment %s failed", payment_id)
    return changed
