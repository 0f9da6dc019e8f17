"""Payment state changes as domain events (``thebot.events``): recorded on the unit of work by
the services; in-transaction subscribers fulfil (mark the invoice paid, grant credits, extend a
subscription) and audit; notifications and the real-time gateway subscribe after commit."""

from __future__ import annotations

from dataclasses import dataclass

from thebot.events import DomainEvent, ids


@dataclass(frozen=True)
class _PaymentEvent(DomainEvent):
    payment_id: int = 0
    purpose: str = ""
    status: str = ""
    amount: str = ""
    currency: str = ""
    payer_id: int | None = None
    payee_id: int | None = None
    student_id: int | None = None

    @property
    def user_ids(self) -> tuple[int, ...]:
        return ids((self.payer_id, self.payee_id))


@dataclass(frozen=True)
class PaymentCreated(_PaymentEvent):
    name = "payment.created"


@dataclass(frozen=True)
class PaymentWaitingForCapture(_PaymentEvent):
    name = "payment.waiting_for_capture"


@dataclass(frozen=True)
class PaymentSucceeded(_PaymentEvent):
    """Recorded once per payment, with its charge on the ledger: fulfilment subscribes."""

    name = "payment.succeeded"


@dataclass(frozen=True)
class PaymentCanceled(_PaymentEvent):
    name = "payment.canceled"
    reason: str = ""


@dataclass(frozen=True)
class PaymentFlagged(_PaymentEvent):
    """The provider's amount or currency differs from ours: nothing granted, review needed."""

    name = "payment.flagged"
    reason: str = ""


@dataclass(frozen=True)
class RefundSucceeded(_PaymentEvent):
    name = "refund.succeeded"
    refund_id: int = 0
    refund_amount: str = ""


@dataclass(frozen=True)
class InvoiceChanged(DomainEvent):
    name = "invoice.changed"
    invoice_id: int = 0
    status: str = ""
    student_id: int | None = None
    issuer_id: int | None = None

    @property
    def user_ids(self) -> tuple[int, ...]:
        return ids((self.student_id, self.issuer_id))


@dataclass(frozen=True)
class InvoiceReminderDue(DomainEvent):
    """An invoice is due in ``days`` days (negative: overdue by that many): remind parents."""

    name = "invoice.reminder_due"
    invoice_id: int = 0
    student_id: int | None = None
    days: int = 0

    @property
    def user_ids(self) -> tuple[int, ...]:
        return ids((self.student_id,))


@dataclass(frozen=True)
class SubscriptionChanged(DomainEvent):
    name = "subscription.changed"
    subscription_id: int = 0
    status: str = ""
    change: str = ""  # activated, renewed, renewal_failed, past_due, cancelled
    payer_id: int | None = None
    student_id: int | None = None
    enrollment_id: int | None = None

    @property
    def user_ids(self) -> tuple[int, ...]:
        return ids((self.payer_id, self.student_id))


@dataclass(frozen=True)
class CreditsChanged(DomainEvent):
    name = "credits.changed"
    student_id: int = 0
    subject_id: int | None = None
    delta: int = 0
    kind: str = ""

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.student_id,)
