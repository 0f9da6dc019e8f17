"""Subscription periods follow their payments (in the payment's transaction)."""

from __future__ import annotations

from thebot.events import Committing
from thebot.payments.events import PaymentCanceled, PaymentSucceeded
from thebot.payments.payments.models import Payment, Purpose
from thebot.payments.subscriptions import service


def _payment(committing: Committing, event: PaymentSucceeded | PaymentCanceled) -> Payment | None:
    if event.purpose != Purpose.SUBSCRIPTION.value:
        return None
    payment = committing.dbsession.get(Payment, event.payment_id)
    return payment if payment is not None and payment.subscription_id else None


def period_paid(committing: Committing, event: PaymentSucceeded) -> None:
    payment = _payment(committing, event)
    if payment is not None:
        service.paid(committing.dbsession, payment)


def payment_failed(committing: Committing, event: PaymentCanceled) -> None:
    payment = _payment(committing, event)
    if payment is None:
        return
    from thebot.events import registry_of

    registry = registry_of(committing.dbsession)
    retry_days = registry.settings["payments_renewal_retry_days"] if registry else [1, 3, 7]
    service.failed(committing.dbsession, payment, retry_days)
