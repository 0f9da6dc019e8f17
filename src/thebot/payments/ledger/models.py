"""The ledger: one append-only row per movement of money or lesson credits.

Balances are derived (sums), never stored. Partial unique indexes make each movement happen
once whatever the concurrency: one charge per payment, one refund row per refund, one grant
per package payment, one credit use and one return per lesson.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from thebot.db import Base, UTCDateTime, enum_values, user_fk, utcnow
from thebot.payments.money import amount_column


class Kind(str, enum.Enum):
    CHARGE = "charge"  # money in (+amount)
    REFUND = "refund"  # money out (-amount)
    CREDIT_GRANT = "credit_grant"  # +N lesson credits (a package bought)
    CREDIT_USE = "credit_use"  # -1 (a lesson)
    CREDIT_RETURN = "credit_return"  # +1 (that lesson cancelled within the rules)
    ADJUSTMENT = "adjustment"  # credits removed by a refund, or an admin correction


def _once_per(kind: Kind, column: str) -> Index:
    where = text(f"kind = '{kind.value}'")
    return Index(
        f"uq_ledger_entry_{kind.value}_{column}",
        column,
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
    )


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    amount: Mapped[Decimal | None] = amount_column(nullable=True)  # signed; money rows
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    credits: Mapped[int | None] = mapped_column(Integer, nullable=True)  # signed; credit rows
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    refund_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_refund.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    student_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("subject.id", ondelete="SET NULL"), nullable=True, index=True
    )
    teacher_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(user_fk("SET NULL"), nullable=True, index=True)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )

    __table_args__ = (
        CheckConstraint(f"kind IN {enum_values(Kind)}", name="kind_valid"),
        CheckConstraint("amount IS NOT NULL OR credits IS NOT NULL", name="moves_something"),
        _once_per(Kind.CHARGE, "payment_id"),
        _once_per(Kind.REFUND, "refund_id"),
        _once_per(Kind.CREDIT_GRANT, "payment_id"),
        _once_per(Kind.CREDIT_USE, "lesson_id"),
        _once_per(Kind.CREDIT_RETURN, "lesson_id"),
    )


class AppendOnly(Exception):
    pass


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _append_only(mapper: Any, connection: Any, target: LedgerEntry) -> None:
    raise AppendOnly("ledger rows are never changed nor deleted: append an adjustment")
