"""Subject subscriptions: a parent pays a period of a child's enrollment, renewed
automatically by charging the saved payment method."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow
from thebot.payments.money import amount_column, currency_column


class SubscriptionStatus(str, enum.Enum):
    PENDING = "pending"  # the first payment is not through yet
    ACTIVE = "active"
    PAST_DUE = "past_due"  # every renewal retry failed
    CANCELLED = "cancelled"  # no more charges; access runs to current_period_end


class Subscription(Base):
    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    price_id: Mapped[int] = mapped_column(
        ForeignKey("price.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    payer_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    student_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    teacher_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    amount: Mapped[Decimal] = amount_column()
    currency: Mapped[str] = currency_column()
    period_days: Mapped[int] = mapped_column(Integer, nullable=False)
    current_period_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_charge_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The provider's token of the saved method: never shown to anyone.
    payment_method_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enrollment_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"status IN {enum_values(SubscriptionStatus)}", name="status_valid"),
        Index("ix_subscription_status_next_charge_at", "status", "next_charge_at"),
    )
