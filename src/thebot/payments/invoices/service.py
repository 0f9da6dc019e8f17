"""Invoices: ``draft -> sent -> paid | cancelled`` (``sent -> overdue`` by the daily job).

A tutor bills the parents of a student they teach (admins: any student); the total is the
sum of the lines, computed here. Any parent of the student may pay; paying an invoice that
already has an open payment by the same parent returns that payment (no second charge).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import ParentLink, Role, StudentProfile, User
from thebot.db import utcnow
from thebot.errors import Conflict, Invalid
from thebot.events import record
from thebot.payments.events import InvoiceChanged, InvoiceReminderDue
from thebot.payments.invoices.models import (
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceStatus,
)
from thebot.payments.money import quantize, wire
from thebot.payments.payments import service as payments
from thebot.payments.payments.models import Payment, Purpose
from thebot.payments.providers.base import Provider

DRAFT = InvoiceStatus.DRAFT.value
SENT = InvoiceStatus.SENT.value
OVERDUE = InvoiceStatus.OVERDUE.value
PAID = InvoiceStatus.PAID.value
CANCELLED = InvoiceStatus.CANCELLED.value
PAYABLE = (SENT, OVERDUE)
NOT_YOURS = "Not a student you may bill"


# --- who sees what ------------------------------------------------------------------------


def visible_invoices_clause(viewer: User) -> ColumnElement[bool]:
    if not viewer.is_active:
        return false()
    if viewer.role == Role.ADMIN.value:
        return true()
    if viewer.role == Role.PARENT.value:
        return Invoice.student_id.in_(people.children_of(viewer.id))
    if viewer.role == Role.STUDENT.value:
        return Invoice.student_id == viewer.id
    return or_(Invoice.issuer_id == viewer.id, Invoice.payee_id == viewer.id)


def relation(dbsession: Session, viewer: User | None, invoice: Invoice) -> str | None:
    """``admin``, ``issuer``, ``payee``, ``parent``, ``student`` or ``None`` (a 404)."""
    if viewer is None or not viewer.is_active:
        return None
    if viewer.role == Role.ADMIN.value:
        return "admin"
    if viewer.id == invoice.issuer_id:
        return "issuer"
    if viewer.id == invoice.payee_id:
        return "payee"
    if viewer.role == Role.STUDENT.value and viewer.id == invoice.student_id:
        return "student"
    if viewer.role == Role.PARENT.value and dbsession.scalar(
        select(
            exists().where(
                ParentLink.parent_id == viewer.id, ParentLink.student_id == invoice.student_id
            )
        )
    ):
        return "parent"
    return None


def billable_student(dbsession: Session, actor: User, student_id: int) -> User:
    """The student ``actor`` may bill: admins any active student, a tutor the students they
    teach (or tutor). Unknown and unrelated ids get the same answer."""
    student = dbsession.get(User, student_id)
    ok = student is not None and student.role == Role.STUDENT.value and student.is_active
    if ok and actor.role != Role.ADMIN.value:
        tutored = dbsession.scalar(
            select(
                exists().where(
                    StudentProfile.user_id == student_id, StudentProfile.tutor_id == actor.id
                )
            )
        )
        ok = bool(tutored) or people.teaches(dbsession, actor.id, student_id)
    if not ok or student is None:
        raise Invalid("student_id", NOT_YOURS)
    return student


# --- changes ------------------------------------------------------------------------------


def _set_lines(invoice: Invoice, lines: list[Mapping[str, Any]]) -> None:
    invoice.lines.clear()
    total = Decimal("0.00")
    for position, line in enumerate(lines):
        amount = quantize(line["unit_price"] * line["quantity"])
        invoice.lines.append(
            InvoiceLine(
                position=position,
                description=line["description"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                amount=amount,
            )
        )
        total += amount
    if total > Decimal("9999999999.99"):
        raise Invalid("lines", "The total is too large.")
    invoice.total = quantize(total)


def _announce(dbsession: Session, invoice: Invoice) -> None:
    record(
        dbsession,
        InvoiceChanged(
            invoice_id=invoice.id,
            status=invoice.status,
            student_id=invoice.student_id,
            issuer_id=invoice.issuer_id,
        ),
    )


def create(dbsession: Session, actor: User, data: Mapping[str, Any], currency: str) -> Invoice:
    student = billable_student(dbsession, actor, data["student_id"])
    invoice = Invoice(
        status=DRAFT,
        student_id=student.id,
        issuer_id=actor.id,
        payee_id=actor.id if actor.role != Role.ADMIN.value else None,
        description=data.get("description", ""),
        due_date=data["due_date"],
        currency=currency,
    )
    _set_lines(invoice, data["lines"])
    dbsession.add(invoice)
    dbsession.flush()
    _announce(dbsession, invoice)
    return invoice


def update(dbsession: Session, invoice: Invoice, data: Mapping[str, Any]) -> list[str]:
    if invoice.status != DRAFT:
        raise Conflict(
            "Only a draft invoice can be edited; cancel it and issue a new one.",
            current_status=invoice.status,
        )
    changed = []
    if "lines" in data:
        _set_lines(invoice, data["lines"])
        changed.append("lines")
    for name in ("description", "due_date"):
        if name in data and getattr(invoice, name) != data[name]:
            setattr(invoice, name, data[name])
            changed.append(name)
    dbsession.flush()
    return changed


def _lock(dbsession: Session, invoice: Invoice) -> Invoice:
    return dbsession.execute(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def send(dbsession: Session, invoice: Invoice) -> Invoice:
    invoice = _lock(dbsession, invoice)
    if invoice.status != DRAFT:
        raise Conflict(f"This invoice is {invoice.status}.", current_status=invoice.status)
    if invoice.total <= 0:
        raise Conflict("An invoice of 0.00 cannot be sent.", current_status=invoice.status)
    invoice.status = SENT
    invoice.sent_at = utcnow()
    dbsession.flush()
    _announce(dbsession, invoice)
    return invoice


def cancel(dbsession: Session, invoice: Invoice) -> Invoice:
    invoice = _lock(dbsession, invoice)
    if invoice.status not in (DRAFT, SENT, OVERDUE):
        raise Conflict(f"This invoice is {invoice.status}.", current_status=invoice.status)
    invoice.status = CANCELLED
    invoice.cancelled_at = utcnow()
    dbsession.flush()
    _announce(dbsession, invoice)
    return invoice


def pay(
    dbsession: Session,
    provider: Provider,
    payer: User,
    invoice: Invoice,
    return_url: str | None,
) -> Payment:
    """A payment of the invoice's total for ``payer`` (one of the student's parents)."""
    invoice = _lock(dbsession, invoice)
    if invoice.status not in PAYABLE:
        raise Conflict(
            f"This invoice is {invoice.status}: it cannot be paid.", current_status=invoice.status
        )
    open_payment = dbsession.scalar(
        select(Payment).where(
            Payment.invoice_id == invoice.id,
            Payment.payer_id == payer.id,
            Payment.status.in_(tuple(payments.OPEN)),
            Payment.amount == invoice.total,
        )
    )
    if open_payment is not None:
        return open_payment
    return payments.create_payment(
        dbsession,
        provider,
        purpose=Purpose.INVOICE.value,
        amount=invoice.total,
        currency=invoice.currency,
        payer_id=payer.id,
        payee_id=invoice.payee_id,
        student_id=invoice.student_id,
        description=f"Invoice {invoice.id}",
        return_url=return_url,
        invoice_id=invoice.id,
    )


def settle(dbsession: Session, payment: Payment) -> None:
    """A payment of the invoice succeeded: the invoice is paid (or the payment is flagged)."""
    invoice = dbsession.get(Invoice, payment.invoice_id)
    if invoice is None:
        return
    invoice = _lock(dbsession, invoice)
    if invoice.status == PAID:
        payment.needs_review = True
        payment.review_reason = f"invoice {invoice.id} was already paid: refund this payment"
    elif invoice.status == CANCELLED or payment.amount != invoice.total:
        payment.needs_review = True
        payment.review_reason = f"invoice {invoice.id} is {invoice.status}: refund this payment"
    else:
        invoice.status = PAID
        invoice.paid_at = utcnow()
        dbsession.flush()
        _announce(dbsession, invoice)
    dbsession.flush()


def mark_overdue(dbsession: Session, today: dt.date) -> list[int]:
    """Sent invoices whose due date has passed become ``overdue`` (their ids)."""
    stmt = (
        select(Invoice)
        .where(Invoice.status == SENT, Invoice.due_date < today)
        .order_by(Invoice.id)
        .with_for_update(skip_locked=True)
    )
    changed = []
    for invoice in dbsession.scalars(stmt):
        invoice.status = OVERDUE
        changed.append(invoice.id)
        dbsession.flush()
        _announce(dbsession, invoice)
    return changed


REMINDER_DAYS = (3, -3)  # three days before the due date, and three days after it


def remind(dbsession: Session, today: dt.date, days: tuple[int, ...] = REMINDER_DAYS) -> list[int]:
    """Record a reminder for each unpaid invoice ``days`` (or fewer) days before its due
    date, or ``-days`` (or more) days after it, unless it was already sent (an
    ``InvoiceReminder`` row per invoice and offset): each reminder goes once, however often
    the daily job runs, and a missed run catches up the next day."""
    reminded = []
    for offset in days:
        due = today + dt.timedelta(days=offset)
        window = (
            (Invoice.due_date > today, Invoice.due_date <= due)
            if offset > 0
            else (Invoice.due_date <= due,)
        )
        sent = exists().where(
            InvoiceReminder.invoice_id == Invoice.id, InvoiceReminder.days == offset
        )
        stmt = (
            select(Invoice).where(Invoice.status.in_(PAYABLE), *window, ~sent).order_by(Invoice.id)
        )
        for invoice in dbsession.scalars(stmt).all():
            try:
                with dbsession.begin_nested():  # a concurrent run sent it: skip
                    dbsession.add(InvoiceReminder(invoice_id=invoice.id, days=offset))
            except IntegrityError:
                continue
            record(
                dbsession,
                InvoiceReminderDue(
                    invoice_id=invoice.id, student_id=invoice.student_id, days=offset
                ),
            )
            reminded.append(invoice.id)
    return reminded


# --- rendering ----------------------------------------------------------------------------


def invoice_data(invoice: Invoice, viewer: User, students_see_amounts: bool) -> dict[str, Any]:
    """The invoice as ``viewer`` sees it: amounts are hidden from students unless enabled."""
    amounts = viewer.role != Role.STUDENT.value or students_see_amounts
    return {
        "id": invoice.id,
        "status": invoice.status,
        "student_id": invoice.student_id,
        "issuer_id": invoice.issuer_id,
        "payee_id": invoice.payee_id,
        "description": invoice.description,
        "due_date": invoice.due_date.isoformat(),
        "total": wire(invoice.total, invoice.currency) if amounts else None,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": wire(line.unit_price, invoice.currency) if amounts else None,
                "amount": wire(line.amount, invoice.currency) if amounts else None,
            }
            for line in invoice.lines
        ],
        "created_at": invoice.created_at.isoformat(),
        "sent_at": invoice.sent_at.isoformat() if invoice.sent_at else None,
        "paid_at": invoice.paid_at.isoformat() if invoice.paid_at else None,
        "cancelled_at": invoice.cancelled_at.isoformat() if invoice.cancelled_at else None,
    }
