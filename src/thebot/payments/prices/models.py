"""Prices set by admins: a subscription per period, or a package of N lessons, per subject
(and optionally per teacher)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow
from thebot.payments.money import amount_column, currency_column


class PriceKind(str, enum.Enum):
    SUBSCRIPTION = "subscription"
    PACKAGE = "package"


class Price(Base):
    __tablename__ = "price"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    teacher_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    amount: Mapped[Decimal] = amount_column()
    currency: Mapped[str] = currency_column()
    period_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # subscriptions
    lessons: Mapped[int | None] = mapped_column(Integer, nullable=True)  # packages
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        CheckConstraint(f"kind IN {enum_values(PriceKind)}", name="kind_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'subscription' AND period_days > 0 AND lessons IS NULL)"
            " OR (kind = 'package' AND lessons > 0 AND period_days IS NULL)",
            name="kind_fields",
        ),
    )
