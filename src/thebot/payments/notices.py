"""Tell people about money (``thebot.notifications``, category ``payments``), in the
transaction of the change: parents of a sent or overdue invoice, the payer of a succeeded
payment, the payer of a subscription whose renewal failed or that fell past due."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from thebot.accounts.models import ParentLink, User
from thebot.events import Committing
from thebot.notifications.service import notify
from thebot.payments.events import (
    InvoiceChanged,
    InvoiceReminderDue,
    PaymentSucceeded,
    SubscriptionChanged,
)

log = logging.getLogger(__name__)


def _request(committing: Committing) -> Any:
    request = committing.request
    if request is None:  # a plain session (scripts): nobody to enqueue emails with
        log.info("payments notice skipped outside a request: %s", committing.event.name)
    return request


def _parents(dbsession: Any, student_id: int | None) -> list[User]:
    if student_id is None:
        return []
    return list(
        dbsession.scalars(
            select(User)
            .join(ParentLink, ParentLink.parent_id == User.id)
            .where(ParentLink.student_id == student_id)
        )
    )


def invoice_notice(committing: Committing, event: InvoiceChanged) -> None:
    if event.status not in ("sent", "overdue"):
        return
    request = _request(committing)
    if request is None:
        return
    title = f"Invoice {event.invoice_id}" + (" is overdue" if event.status == "overdue" else "")
    for parent in _parents(committing.dbsession, event.student_id):
        notify(
            request,
            parent,
            f"payments.invoice_{event.status}",
            title,
            "Open the invoice to see and pay it.",
            data={"invoice_id": event.invoice_id, "status": event.status},
        )


def reminder_notice(committing: Committing, event: InvoiceReminderDue) -> None:
    request = _request(committing)
    if request is None:
        return
    when = f"is due in {event.days} days" if event.days > 0 else f"was due {-event.days} days ago"
    for parent in _parents(committing.dbsession, event.student_id):
        notify(
            request,
            parent,
            "payments.invoice_reminder",
            f"Invoice {event.invoice_id} {when}",
            "Open the invoice to see and pay it.",
            data={"invoice_id": event.invoice_id, "days": event.days},
        )


def payment_notice(committing: Committing, event: PaymentSucceeded) -> None:
    request = _request(committing)
    payer = committing.dbsession.get(User, event.payer_id) if event.payer_id else None
    if request is None or payer is None:
        return
    notify(
        request,
        payer,
        "payments.payment_succeeded",
        f"Payment received: {event.amount} {event.currency}",
        data={"payment_id": event.payment_id},
    )


def subscription_notice(committing: Committing, event: SubscriptionChanged) -> None:
    if event.change not in ("renewal_failed", "past_due"):
        return
    request = _request(committing)
    payer = committing.dbsession.get(User, event.payer_id) if event.payer_id else None
    if request is None or payer is None:
        return
    title = (
        "Subscription past due: renewals failed"
        if event.change == "past_due"
        else "Subscription renewal failed: we will try again"
    )
    notify(
        request,
        payer,
        f"payments.subscription_{event.change}",
        title,
        "Check the saved card, or pay the subscription again.",
        data={"subscription_id": event.subscription_id, "change": event.change},
    )


def includeme(config: Any) -> None:
    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        "payments", "Invoices, payments and subscriptions", email=True
    )
    config.add_subscriber(invoice_notice, [Committing, InvoiceChanged])
    config.add_subscriber(reminder_notice, [Committing, InvoiceReminderDue])
    config.add_subscriber(payment_notice, [Committing, PaymentSucceeded])
    config.add_subscriber(subscription_notice, [Committing, SubscriptionChanged])
