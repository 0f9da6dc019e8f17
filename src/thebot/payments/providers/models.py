"""The sandbox provider's own objects: what a real provider would keep on its side."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, utcnow
from thebot.payments.money import amount_column, currency_column


class SandboxObject(Base):
    __tablename__ = "payment_sandbox_object"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # payment, refund
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    amount: Mapped[Decimal] = amount_column()
    currency: Mapped[str] = currency_column()
    idempotence_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a refund's
    payment_method_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    save_payment_method: Mapped[bool] = mapped_column(default=False, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
