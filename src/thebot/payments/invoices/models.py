"""Invoices: a tutor or admin bills a student's parents; lines make the total."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow
from thebot.payments.money import amount_column, currency_column


class InvoiceStatus(str, enum.Enum):
    DRAFT = "draft"
    SENT = "sent"
    OVERDUE = "overdue"
    PAID = "paid"
    CANCELLED = "cancelled"


class Invoice(Base):
    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    student_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    issuer_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    payee_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    total: Mapped[Decimal] = amount_column(default=Decimal("0.00"))
    currency: Mapped[str] = currency_column()
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint(f"status IN {enum_values(InvoiceStatus)}", name="status_valid"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_invoice_status_due_date", "status", "due_date"),
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    unit_price: Mapped[Decimal] = amount_column()
    amount: Mapped[Decimal] = amount_column()

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )


class InvoiceReminder(Base):
    """A reminder sent for an invoice (``days`` before its due date; negative: after it):
    each one goes once, however often the daily job runs."""

    __tablename__ = "invoice_reminder"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False, index=True
    )
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("invoice_id", "days", name="uq_invoice_reminder_invoice_days"),
    )
