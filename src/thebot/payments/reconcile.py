"""Reconciliation: the ledger against the provider, for payments created in a date range.

For each payment the provider knows, its fetched status and amount are compared with ours
and with the ledger: a succeeded payment has exactly one charge of its amount, a payment
without one is not succeeded at the provider; each refund on the ledger is succeeded there.
Every difference is reported (nothing is changed: the webhook path is the one that acts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from thebot.payments.ledger.models import Kind, LedgerEntry
from thebot.payments.payments.models import Payment, Refund
from thebot.payments.providers.base import Provider

SUCCEEDED = "succeeded"


def differences(
    dbsession: Session, provider: Provider, since: dt.datetime, until: dt.datetime
) -> Iterator[str]:
    payments = dbsession.scalars(
        select(Payment)
        .where(
            Payment.created_at >= since,
            Payment.created_at < until,
            Payment.provider == provider.name,
        )
        .order_by(Payment.id)
    )
    for payment in payments:
        yield from _payment_differences(dbsession, provider, payment)


def _ledger_sum(dbsession: Session, payment_id: int, kind: Kind) -> tuple[int, object]:
    row = dbsession.execute(
        select(func.count(), func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.payment_id == payment_id, LedgerEntry.kind == kind.value
        )
    ).one()
    return int(row[0]), row[1]


def _payment_differences(
    dbsession: Session, provider: Provider, payment: Payment
) -> Iterator[str]:
    name = f"payment {payment.id}"
    if not payment.provider_payment_id:
        yield f"{name}: never reached the provider (status {payment.status})"
        return
    obj = provider.get_payment(payment.provider_payment_id)
    if obj is None:
        yield f"{name}: unknown to the provider ({payment.provider_payment_id})"
        return
    if obj.amount != payment.amount or obj.currency != payment.currency:
        yield (
            f"{name}: provider amount {obj.amount} {obj.currency}, "
            f"ours {payment.amount} {payment.currency}"
        )
    charges, charged = _ledger_sum(dbsession, payment.id, Kind.CHARGE)
    if obj.status == SUCCEEDED and charges != 1:
        yield f"{name}: succeeded at the provider, {charges} charges on the ledger"
    if obj.status != SUCCEEDED and charges:
        yield f"{name}: {obj.status} at the provider, but charged on the ledger"
    if charges == 1 and charged != payment.amount:
        yield f"{name}: charged {charged} on the ledger, the payment is {payment.amount}"
    for refund in dbsession.scalars(select(Refund).where(Refund.payment_id == payment.id)):
        rows, _amount = _ledger_sum_refund(dbsession, refund.id)
        fetched = (
            provider.get_refund(refund.provider_refund_id) if refund.provider_refund_id else None
        )
        status = fetched.status if fetched is not None else "unknown"
        if (status == SUCCEEDED) != bool(rows):
            yield f"{name}: refund {refund.id} is {status} at the provider, {rows} ledger rows"


def _ledger_sum_refund(dbsession: Session, refund_id: int) -> tuple[int, object]:
    row = dbsession.execute(
        select(func.count(), func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.refund_id == refund_id, LedgerEntry.kind == Kind.REFUND.value
        )
    ).one()
    return int(row[0]), row[1]
