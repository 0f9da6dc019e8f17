"""Subject subscriptions: the first payment saves the payment method; ``renew_due`` charges
it when a period ends. A failed renewal is retried after ``PAYMENTS_RENEWAL_RETRY_DAYS``
(1, 3, 7 days), then the subscription is ``past_due`` and its enrollment flagged. Cancelling
stops future charges; access runs to the end of the paid period (``current_period_end``).

Renewals lock the subscription row: two renewals at once charge once (the second finds the
period already extended, or an open renewal payment, and does nothing).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, Role, User
from thebot.catalog.models import Enrollment, EnrollmentStatus
from thebot.db import utcnow
from thebot.errors import Conflict, Invalid, NotFound
from thebot.events import record
from thebot.payments.events import SubscriptionChanged
from thebot.payments.money import wire
from thebot.payments.payments import service as payments
from thebot.payments.payments.models import Payment, Purpose
from thebot.payments.prices.models import Price, PriceKind
from thebot.payments.providers.base import Provider, ProviderError, ProviderRejected
from thebot.payments.subscriptions.models import Subscription, SubscriptionStatus

log = logging.getLogger(__name__)

PENDING = SubscriptionStatus.PENDING.value
ACTIVE = SubscriptionStatus.ACTIVE.value
PAST_DUE = SubscriptionStatus.PAST_DUE.value
CANCELLED = SubscriptionStatus.CANCELLED.value


def _announce(dbsession: Session, item: Subscription, change: str) -> None:
    record(
        dbsession,
        SubscriptionChanged(
            subscription_id=item.id,
            status=item.status,
            change=change,
            payer_id=item.payer_id,
            student_id=item.student_id,
            enrollment_id=item.enrollment_id,
        ),
    )


def lock(
    dbsession: Session, subscription_id: int, *, skip_locked: bool = False
) -> Subscription | None:
    return dbsession.execute(
        select(Subscription)
        .where(Subscription.id == subscription_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def subscribe(
    dbsession: Session,
    provider: Provider,
    payer: User,
    enrollment_id: int,
    price_id: int,
    return_url: str | None,
) -> tuple[Subscription, Payment]:
    """A parent subscribes a child's enrollment: the subscription and its first payment."""
    enrollment = dbsession.get(Enrollment, enrollment_id)
    ok = enrollment is not None and enrollment.status == EnrollmentStatus.ACTIVE.value
    if ok and enrollment is not None and payer.role != Role.ADMIN.value:
        link = select(ParentLink.id).where(
            ParentLink.parent_id == payer.id, ParentLink.student_id == enrollment.student_id
        )
        ok = dbsession.scalar(link.limit(1)) is not None
    if not ok or enrollment is None:
        raise Invalid("enrollment_id", "Not an active enrollment of your child")
    price = dbsession.get(Price, price_id)
    matches = (
        price is not None
        and price.kind == PriceKind.SUBSCRIPTION.value
        and price.is_active
        and price.subject_id == enrollment.subject_id
        and price.teacher_id in (None, enrollment.teacher_id)
    )
    if not matches or price is None:
        raise Invalid("price_id", "Not an active subscription price of this enrollment")
    taken = dbsession.scalar(
        select(Subscription.id).where(
            Subscription.enrollment_id == enrollment.id,
            Subscription.status.in_((PENDING, ACTIVE, PAST_DUE)),
        )
    )
    if taken is not None:
        raise Conflict("This enrollment already has a subscription.", subscription_id=taken)
    item = Subscription(
        status=PENDING,
        enrollment_id=enrollment.id,
        price_id=price.id,
        payer_id=payer.id,
        student_id=enrollment.student_id,
        teacher_id=enrollment.teacher_id,
        amount=price.amount,
        currency=price.currency,
        period_days=price.period_days or 30,
    )
    dbsession.add(item)
    dbsession.flush()
    payment = payments.create_payment(
        dbsession,
        provider,
        purpose=Purpose.SUBSCRIPTION.value,
        amount=item.amount,
        currency=item.currency,
        payer_id=payer.id,
        payee_id=item.teacher_id,
        student_id=item.student_id,
        description=f"{price.title}: first period",
        return_url=return_url,
        save_payment_method=True,
        subscription_id=item.id,
    )
    _announce(dbsession, item, "created")
    return item, payment


def paid(dbsession: Session, payment: Payment) -> None:
    """A payment of the subscription succeeded: a period starts (or is extended)."""
    item = lock(dbsession, payment.subscription_id or 0)
    if item is None:
        return
    if item.status == CANCELLED:
        payment.needs_review = True
        payment.review_reason = f"subscription {item.id} was cancelled: refund this payment"
        dbsession.flush()
        return
    now = utcnow()
    # Renewals continue the paid period (a retry days later still pays the days since).
    start = item.current_period_end if item.status != PENDING and item.current_period_end else now
    change = "activated" if item.status == PENDING else "renewed"
    item.status = ACTIVE
    item.current_period_end = start + dt.timedelta(days=item.period_days)
    item.next_charge_at = item.current_period_end
    item.failed_attempts = 0
    item.enrollment_flagged = False
    if payment.payment_method_id:
        item.payment_method_id = payment.payment_method_id
    dbsession.flush()
    _announce(dbsession, item, change)


def failed(dbsession: Session, payment: Payment, retry_days: Sequence[int]) -> None:
    """A payment of the subscription was cancelled: the first one ends the subscription; a
    renewal is retried after 1, 3, 7 days, then the subscription is past due."""
    item = lock(dbsession, payment.subscription_id or 0)
    if item is None or item.status == CANCELLED:
        return
    if item.status == PENDING:
        item.status = CANCELLED
        item.cancelled_at = utcnow()
        dbsession.flush()
        _announce(dbsession, item, "first_payment_failed")
        return
    item.failed_attempts += 1
    if item.failed_attempts <= len(retry_days):
        item.next_charge_at = utcnow() + dt.timedelta(days=retry_days[item.failed_attempts - 1])
        dbsession.flush()
        _announce(dbsession, item, "renewal_failed")
        return
    item.status = PAST_DUE
    item.next_charge_at = None
    item.enrollment_flagged = True
    dbsession.flush()
    _announce(dbsession, item, "past_due")


def due(dbsession: Session, now: dt.datetime, limit: int = 200) -> list[int]:
    return list(
        dbsession.scalars(
            select(Subscription.id)
            .where(
                Subscription.status == ACTIVE,
                Subscription.next_charge_at <= now,
                Subscription.payment_method_id.is_not(None),
            )
            .order_by(Subscription.next_charge_at, Subscription.id)
            .limit(limit)
        )
    )


def renew(
    dbsession: Session, provider: Provider, subscription_id: int, now: dt.datetime
) -> Payment | None:
    """Charge the saved method for one due subscription (under its row lock), or nothing."""
    item = lock(dbsession, subscription_id)
    if item is None or item.status != ACTIVE or item.next_charge_at is None:
        return None
    if item.next_charge_at > now or not item.payment_method_id:
        return None  # renewed meanwhile by a concurrent run
    open_payment = dbsession.scalar(
        select(Payment.id).where(
            Payment.subscription_id == item.id, Payment.status.in_(tuple(payments.OPEN))
        )
    )
    if open_payment is not None:
        return None  # a renewal is under way; its webhook settles it
    return payments.create_payment(
        dbsession,
        provider,
        purpose=Purpose.SUBSCRIPTION.value,
        amount=item.amount,
        currency=item.currency,
        payer_id=item.payer_id,
        payee_id=item.teacher_id,
        student_id=item.student_id,
        description=f"Subscription {item.id}: renewal",
        return_url=None,
        payment_method_id=item.payment_method_id,
        subscription_id=item.id,
    )


def renew_due(dbsession: Session, provider: Provider, now: dt.datetime) -> int:
    charged = 0
    for subscription_id in due(dbsession, now):
        savepoint = dbsession.begin_nested()
        try:
            charged += renew(dbsession, provider, subscription_id, now) is not None
        except (ProviderError, ProviderRejected):
            log.exception("renewal of subscription %s failed at the provider", subscription_id)
            savepoint.rollback()
            continue
        savepoint.commit()
    return charged


def cancel(dbsession: Session, item: Subscription) -> Subscription:
    locked = lock(dbsession, item.id)
    if locked is None:
        raise NotFound("No such subscription.")
    if locked.status == CANCELLED:
        raise Conflict("This subscription is already cancelled.", current_status=locked.status)
    locked.status = CANCELLED
    locked.cancelled_at = utcnow()
    locked.next_charge_at = None
    dbsession.flush()
    _announce(dbsession, locked, "cancelled")
    return locked


def visible_clause(viewer: User) -> ColumnElement[bool]:
    if not viewer.is_active:
        return false()
    if viewer.role == Role.ADMIN.value:
        return true()
    return or_(Subscription.payer_id == viewer.id, Subscription.teacher_id == viewer.id)


def can_see(viewer: User | None, item: Subscription) -> bool:
    if viewer is None or not viewer.is_active:
        return False
    return viewer.role == Role.ADMIN.value or viewer.id in (item.payer_id, item.teacher_id)


def data(item: Subscription) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "enrollment_id": item.enrollment_id,
        "price_id": item.price_id,
        "payer_id": item.payer_id,
        "student_id": item.student_id,
        "teacher_id": item.teacher_id,
        "price": wire(item.amount, item.currency),
        "period_days": item.period_days,
        "current_period_end": item.current_period_end.isoformat()
        if item.current_period_end
        else None,
        "next_charge_at": item.next_charge_at.isoformat() if item.next_charge_at else None,
        "failed_attempts": item.failed_attempts,
        "enrollment_flagged": item.enrollment_flagged,
        "cancelled_at": item.cancelled_at.isoformat() if item.cancelled_at else None,
    }
