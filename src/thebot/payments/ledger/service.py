"""Appending to the ledger and deriving balances from it (rows are never changed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from thebot.payments.ledger.models import Kind, LedgerEntry


def append(dbsession: Session, kind: Kind, **values: Any) -> LedgerEntry:
    entry = LedgerEntry(kind=kind.value, **values)
    dbsession.add(entry)
    dbsession.flush()
    return entry


def exists(dbsession: Session, kind: Kind, **where: Any) -> bool:
    stmt = select(LedgerEntry.id).where(LedgerEntry.kind == kind.value)
    for name, value in where.items():
        stmt = stmt.where(getattr(LedgerEntry, name) == value)
    return dbsession.scalar(stmt.limit(1)) is not None


def money_balance(dbsession: Session, currency: str = "RUB") -> Decimal:
    """Charges minus refunds: what the business holds, by the ledger."""
    total = dbsession.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.currency == currency, LedgerEntry.amount.is_not(None)
        )
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))


def credit_balance(dbsession: Session, student_id: int, subject_id: int | None) -> int:
    stmt = select(func.coalesce(func.sum(LedgerEntry.credits), 0)).where(
        LedgerEntry.student_id == student_id, LedgerEntry.credits.is_not(None)
    )
    if subject_id is not None:
        stmt = stmt.where(LedgerEntry.subject_id == subject_id)
    return int(dbsession.scalar(stmt) or 0)


def credit_balances_query(where: Any) -> Select:
    """``(student_id, subject_id, balance)`` per student and subject matching ``where``."""
    return (
        select(
            LedgerEntry.student_id,
            LedgerEntry.subject_id,
            func.sum(LedgerEntry.credits).label("balance"),
        )
        .where(LedgerEntry.credits.is_not(None), where)
        .group_by(LedgerEntry.student_id, LedgerEntry.subject_id)
        .order_by(LedgerEntry.student_id, LedgerEntry.subject_id)
    )


def entry_data(entry: LedgerEntry) -> dict[str, Any]:
    from thebot.payments.money import wire

    return {
        "id": entry.id,
        "kind": entry.kind,
        "money": wire(entry.amount, entry.currency or "") if entry.amount is not None else None,
        "credits": entry.credits,
        "payment_id": entry.payment_id,
        "refund_id": entry.refund_id,
        "student_id": entry.student_id,
        "subject_id": entry.subject_id,
        "teacher_id": entry.teacher_id,
        "lesson_id": entry.lesson_id,
        "actor_id": entry.actor_id,
        "note": entry.note,
        "created_at": entry.created_at.isoformat(),
    }
