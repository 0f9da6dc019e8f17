"""Payments and their refunds (see ``thebot.payments.payments.service`` for the state machine)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow
from thebot.payments.money import amount_column, currency_column


class PaymentStatus(str, enum.Enum):
    PENDING = "pending"
    WAITING_FOR_CAPTURE = "waiting_for_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Purpose(str, enum.Enum):
    INVOICE = "invoice"
    PACKAGE = "package"
    SUBSCRIPTION = "subscription"


class RefundStatus(str, enum.Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class Payment(Base):
    """One attempt to take money for one thing (an invoice, a package, a subscription period).

    The amount is computed by the server from what is paid for; the provider's object is
    ``provider_payment_id``; ``idempotence_key`` (derived from our id) goes with every call
    that could create money at the provider, so a retry never charges twice.
    """

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(24), nullable=False, default="pending", index=True)
    amount: Mapped[Decimal] = amount_column()
    currency: Mapped[str] = currency_column()
    refunded_amount: Mapped[Decimal] = amount_column(default=Decimal("0.00"))
    description: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    payer_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    payee_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    student_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    price_id: Mapped[int | None] = mapped_column(
        ForeignKey("price.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscription.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    idempotence_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    confirmation_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    save_payment_method: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The saved method's provider token: never shown to anyone (only its title, to the payer).
    payment_method_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payment_method_title: Mapped[str | None] = mapped_column(String(100), nullable=True)
    needs_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    review_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cancellation_reason: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    succeeded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(f"status IN {enum_values(PaymentStatus)}", name="status_valid"),
        CheckConstraint(f"purpose IN {enum_values(Purpose)}", name="purpose_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunds_cap"),
        Index("ix_payment_status_created_at", "status", "created_at"),
    )


class Refund(Base):
    __tablename__ = "payment_refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payment.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    amount: Mapped[Decimal] = amount_column()
    currency: Mapped[str] = currency_column()
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    idempotence_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        user_fk("SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"status IN {enum_values(RefundStatus)}", name="status_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )
