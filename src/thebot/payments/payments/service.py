"""Payments: create one at the provider, apply what the provider says, refund.

The one path that changes a payment's status is ``apply_payment``: webhooks, the sandbox
page, the polling job and renewals all re-fetch the provider's object and hand it here.
It runs under a row lock on the payment, acts only on the fetched status and amount (an
amount or currency unlike ours flags the payment for review and grants nothing), and is
idempotent: the charge is written to the ledger, and ``PaymentSucceeded`` recorded (the
fulfilment subscribes), once, when the status first becomes ``succeeded``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts.models import Role, User
from thebot.db import utcnow
from thebot.errors import Conflict, Invalid
from thebot.events import record, registry_of
from thebot.payments import events
from thebot.payments.ledger import service as ledger
from thebot.payments.ledger.models import Kind
from thebot.payments.money import ZERO, quantize, wire
from thebot.payments.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from thebot.payments.providers.base import Provider, ProviderPayment, ProviderRefund

log = logging.getLogger(__name__)

PENDING = PaymentStatus.PENDING.value
WAITING = PaymentStatus.WAITING_FOR_CAPTURE.value
SUCCEEDED = PaymentStatus.SUCCEEDED.value
CANCELED = PaymentStatus.CANCELED.value
PARTIALLY_REFUNDED = PaymentStatus.PARTIALLY_REFUNDED.value
REFUNDED = PaymentStatus.REFUNDED.value
PAID = frozenset({SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED})
OPEN = frozenset({PENDING, WAITING})
REFUND_GUARDS = "payments.refund_guards"  # registry: purpose -> guard(dbsession, payment, ...)

RefundGuard = Callable[..., None]


def add_refund_guard(config: Any, purpose: str, guard: RefundGuard) -> None:
    """Config directive: ``guard(dbsession, payment, amount, force, actor)`` runs before a
    refund of a ``purpose`` payment is sent (a lesson package takes its credits back)."""

    def register() -> None:
        config.registry.setdefault(REFUND_GUARDS, {})[purpose] = guard

    config.action(("thebot.payments.refund_guard", purpose), register)


def _key(kind: str) -> str:
    return f"thebot-{kind}-{secrets.token_hex(12)}"


def event_of(cls: type, payment: Payment, **extra: Any) -> Any:
    return cls(
        payment_id=payment.id,
        purpose=payment.purpose,
        status=payment.status,
        amount=f"{payment.amount:.2f}",
        currency=payment.currency,
        payer_id=payment.payer_id,
        payee_id=payment.payee_id,
        student_id=payment.student_id,
        **extra,
    )


def create_payment(
    dbsession: Session,
    provider: Provider,
    *,
    purpose: str,
    amount: Decimal,
    currency: str,
    payer_id: int | None,
    payee_id: int | None,
    student_id: int | None,
    description: str,
    return_url: str | None,
    save_payment_method: bool = False,
    payment_method_id: str | None = None,
    **refs: Any,
) -> Payment:
    """Create our payment, then the provider's (``Idempotence-Key`` derived from our id)."""
    amount = quantize(amount)
    if amount <= ZERO:
        raise Conflict("Nothing to pay: the amount is 0.00.")
    payment = Payment(
        purpose=purpose,
        status=PENDING,
        amount=amount,
        currency=currency,
        payer_id=payer_id,
        payee_id=payee_id,
        student_id=student_id,
        description=description[:128],
        provider=provider.name,
        idempotence_key=_key("payment"),
        save_payment_method=save_payment_method,
        **refs,
    )
    dbsession.add(payment)
    dbsession.flush()
    payment.idempotence_key = f"thebot-payment-{payment.id}-{payment.idempotence_key[-12:]}"
    dbsession.flush()
    obj = provider.create_payment(
        key=payment.idempotence_key,
        amount=amount,
        currency=currency,
        description=payment.description or f"Payment {payment.id}",
        metadata={"payment_id": str(payment.id)},  # only our id: nothing is trusted from it
        return_url=return_url,
        save_payment_method=save_payment_method,
        payment_method_id=payment_method_id,
    )
    payment.provider_payment_id = obj.id
    payment.confirmation_url = obj.confirmation_url
    dbsession.flush()
    record(dbsession, event_of(events.PaymentCreated, payment))
    if obj.status != PENDING:  # a saved method is charged at once
        apply_payment(dbsession, payment, obj)
    return payment


def lock(dbsession: Session, payment_id: int) -> Payment:
    return dbsession.execute(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def by_provider_id(dbsession: Session, provider_payment_id: str) -> Payment | None:
    return dbsession.scalar(
        select(Payment).where(Payment.provider_payment_id == provider_payment_id)
    )


def sync_payment(dbsession: Session, provider: Provider, payment: Payment) -> bool:
    """Ask the provider (outside the lock), then apply its answer under the lock: whether
    this call changed the payment (a concurrent one may have applied the same answer)."""
    if not payment.provider_payment_id:
        return False
    obj = provider.get_payment(payment.provider_payment_id)
    locked = lock(dbsession, payment.id)
    if obj is None:
        log.warning(
            "payment %s: the provider does not know %s", locked.id, locked.provider_payment_id
        )
        return False
    return apply_payment(dbsession, locked, obj)


def apply_payment(dbsession: Session, payment: Payment, obj: ProviderPayment) -> bool:
    """Apply the provider's object to ``payment`` (locked by the caller); whether it changed."""
    if obj.id != payment.provider_payment_id:
        raise ValueError("the provider object is another payment's")
    if obj.amount != payment.amount or obj.currency != payment.currency:
        if payment.needs_review:
            return False
        payment.needs_review = True
        payment.review_reason = (
            f"provider says {obj.amount} {obj.currency}, ours is {payment.amount} "
            f"{payment.currency} (provider status {obj.status})"
        )[:200]
        dbsession.flush()
        log.error("payment %s flagged for review: %s", payment.id, payment.review_reason)
        record(dbsession, event_of(events.PaymentFlagged, payment, reason=payment.review_reason))
        return True
    if payment.status not in OPEN or obj.status == payment.status:
        return False  # already settled: a repeated or late notification changes nothing
    if obj.status == WAITING and payment.status == PENDING:
        payment.status = WAITING
        dbsession.flush()
        record(dbsession, event_of(events.PaymentWaitingForCapture, payment))
        return True
    if obj.status == SUCCEEDED:
        payment.status = SUCCEEDED
        payment.succeeded_at = utcnow()
        if obj.payment_method_saved and obj.payment_method_id:
            payment.payment_method_id = obj.payment_method_id
        payment.payment_method_title = obj.payment_method_title
        dbsession.flush()
        ledger.append(
            dbsession,
            Kind.CHARGE,
            amount=payment.amount,
            currency=payment.currency,
            payment_id=payment.id,
            student_id=payment.student_id,
            teacher_id=payment.payee_id,
            note=payment.description[:200],
        )
        record(dbsession, event_of(events.PaymentSucceeded, payment))
        return True
    if obj.status == CANCELED:
        payment.status = CANCELED
        payment.cancellation_reason = (obj.cancellation_reason or "")[:100] or None
        dbsession.flush()
        record(
            dbsession,
            event_of(events.PaymentCanceled, payment, reason=payment.cancellation_reason or ""),
        )
        return True
    return False


# --- refunds ------------------------------------------------------------------------------


def refundable(dbsession: Session, payment: Payment) -> Decimal:
    """The amount not yet refunded nor being refunded."""
    taken = dbsession.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id,
            Refund.status.in_((RefundStatus.PENDING.value, RefundStatus.SUCCEEDED.value)),
        )
    )
    return quantize(payment.amount - Decimal(taken or 0))


def refund(
    dbsession: Session,
    provider: Provider,
    payment: Payment,
    *,
    amount: Decimal | None,
    reason: str,
    actor: User,
    force: bool = False,
) -> Refund:
    """Refund all that is left, or ``amount`` of it; several refunds up to the payment."""
    payment = lock(dbsession, payment.id)
    if payment.status not in (SUCCEEDED, PARTIALLY_REFUNDED):
        raise Conflict(
            f"Only a succeeded payment can be refunded; this one is {payment.status}.",
            current_status=payment.status,
        )
    left = refundable(dbsession, payment)
    amount = left if amount is None else quantize(amount)
    if amount <= ZERO or amount > left:
        raise Invalid("amount", f"At most {left:.2f} {payment.currency} is left to refund.")
    registry = registry_of(dbsession)
    guard = (registry.get(REFUND_GUARDS, {}) if registry is not None else {}).get(payment.purpose)
    if guard is not None:
        guard(dbsession, payment, amount, force, actor)
    item = Refund(
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        reason=reason,
        created_by_id=actor.id,
        idempotence_key=_key("refund"),
    )
    dbsession.add(item)
    dbsession.flush()
    item.idempotence_key = f"thebot-refund-{item.id}-{item.idempotence_key[-12:]}"
    dbsession.flush()
    obj = provider.create_refund(
        key=item.idempotence_key,
        payment_id=payment.provider_payment_id or "",
        amount=amount,
        currency=payment.currency,
        description=reason or f"Refund {item.id}",
    )
    item.provider_refund_id = obj.id
    dbsession.flush()
    apply_refund(dbsession, item, obj)
    return item


def refund_by_provider_id(dbsession: Session, provider_refund_id: str) -> Refund | None:
    return dbsession.scalar(select(Refund).where(Refund.provider_refund_id == provider_refund_id))


def sync_refund(dbsession: Session, provider: Provider, item: Refund) -> bool:
    obj = provider.get_refund(item.provider_refund_id or "")
    if obj is None:
        return False
    lock(dbsession, item.payment_id)
    dbsession.refresh(item)
    return apply_refund(dbsession, item, obj)


def apply_refund(dbsession: Session, item: Refund, obj: ProviderRefund) -> bool:
    """Apply the provider's refund (the payment is locked); once per refund."""
    if item.status != RefundStatus.PENDING.value or obj.status == item.status:
        return False
    payment = dbsession.get(Payment, item.payment_id)
    assert payment is not None
    if obj.amount != item.amount or obj.currency != item.currency:
        payment.needs_review = True
        payment.review_reason = f"refund {item.id}: provider says {obj.amount} {obj.currency}"
        dbsession.flush()
        record(dbsession, event_of(events.PaymentFlagged, payment, reason=payment.review_reason))
        return True
    if obj.status == RefundStatus.CANCELED.value:
        item.status = RefundStatus.CANCELED.value
        dbsession.flush()
        return True
    if obj.status != RefundStatus.SUCCEEDED.value:
        return False
    item.status = RefundStatus.SUCCEEDED.value
    payment.refunded_amount = quantize(payment.refunded_amount + item.amount)
    payment.status = REFUNDED if payment.refunded_amount >= payment.amount else PARTIALLY_REFUNDED
    dbsession.flush()
    ledger.append(
        dbsession,
        Kind.REFUND,
        amount=-item.amount,
        currency=item.currency,
        payment_id=payment.id,
        refund_id=item.id,
        student_id=payment.student_id,
        teacher_id=payment.payee_id,
        actor_id=item.created_by_id,
        note=item.reason[:200],
    )
    record(
        dbsession,
        event_of(
            events.RefundSucceeded, payment, refund_id=item.id, refund_amount=f"{item.amount:.2f}"
        ),
    )
    return True


# --- who sees what ------------------------------------------------------------------------


def visible_payments_clause(viewer: User) -> ColumnElement[bool]:
    """Admins see every payment; the payer and the tutor/teacher paid see theirs."""
    if not viewer.is_active:
        return false()
    if viewer.role == Role.ADMIN.value:
        return true()
    return or_(Payment.payer_id == viewer.id, Payment.payee_id == viewer.id)


def can_see(viewer: User | None, payment: Payment) -> bool:
    if viewer is None or not viewer.is_active:
        return False
    return viewer.role == Role.ADMIN.value or viewer.id in (payment.payer_id, payment.payee_id)


def payment_data(
    payment: Payment, viewer: User, refunds: list[Refund] | None = None
) -> dict[str, Any]:
    """The payment as ``viewer`` sees it: the payment method only for the payer and admins."""
    data: dict[str, Any] = {
        "id": payment.id,
        "purpose": payment.purpose,
        "status": payment.status,
        "money": wire(payment.amount, payment.currency),
        "refunded": wire(payment.refunded_amount, payment.currency),
        "description": payment.description,
        "payer_id": payment.payer_id,
        "payee_id": payment.payee_id,
        "student_id": payment.student_id,
        "invoice_id": payment.invoice_id,
        "price_id": payment.price_id,
        "subscription_id": payment.subscription_id,
        "provider": payment.provider,
        "confirmation_url": payment.confirmation_url if payment.status == PENDING else None,
        "needs_review": payment.needs_review,
        "created_at": payment.created_at.isoformat(),
        "succeeded_at": payment.succeeded_at.isoformat() if payment.succeeded_at else None,
    }
    if viewer.role == Role.ADMIN.value or viewer.id == payment.payer_id:
        data["payment_method"] = payment.payment_method_title
    if viewer.role == Role.ADMIN.value:
        data["review_reason"] = payment.review_reason
    if refunds is not None:
        data["refunds"] = [refund_data(r) for r in refunds]
    return data


def refund_data(item: Refund) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "money": wire(item.amount, item.currency),
        "reason": item.reason,
        "created_at": item.created_at.isoformat(),
    }
