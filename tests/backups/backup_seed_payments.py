"""Payments rows for the backup round trip: money with cents, a sandbox object with JSON, an
invoice with lines, prices of both kinds, a subscription, a payment with a refund, ledger
rows of money (signed) and of credits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from thebot.catalog.models import Enrollment, Subject
from thebot.payments.invoices.models import Invoice, InvoiceLine, InvoiceReminder
from thebot.payments.ledger.models import LedgerEntry
from thebot.payments.payments.models import Payment, Refund
from thebot.payments.prices.models import Price
from thebot.payments.providers.models import SandboxObject
from thebot.payments.subscriptions.models import Subscription

T0 = dt.datetime(2026, 3, 3, 11, 0, 0, 250000, tzinfo=dt.timezone.utc)


def seed_payments(session: Session, *, teacher, student, parent, admin) -> None:
    subject = Subject(name="Оплата: алгебра", created_at=T0, updated_at=T0)
    session.add(subject)
    session.flush()
    enrollment = Enrollment(
        student_id=student.id, subject_id=subject.id, teacher_id=teacher.id, status="active"
    )
    monthly = Price(
        kind="subscription",
        title="Месяц",
        subject_id=subject.id,
        teacher_id=teacher.id,
        amount=Decimal("6000.00"),
        period_days=30,
        created_at=T0,
        updated_at=T0,
    )
    package = Price(
        kind="package",
        title="8 уроков",
        subject_id=subject.id,
        amount=Decimal("8000.50"),
        lessons=8,
        created_at=T0,
        updated_at=T0,
    )
    invoice = Invoice(
        status="paid",
        student_id=student.id,
        issuer_id=teacher.id,
        payee_id=teacher.id,
        description="Ноябрь",
        total=Decimal("4999.99"),
        due_date=dt.date(2026, 3, 10),
        sent_at=T0,
        paid_at=T0,
        created_at=T0,
        updated_at=T0,
    )
    session.add_all([enrollment, monthly, package, invoice])
    session.flush()
    session.add_all(
        [
            InvoiceLine(
                invoice_id=invoice.id,
                position=0,
                description="Урок",
                quantity=3,
                unit_price=Decimal("1500.00"),
                amount=Decimal("4500.00"),
            ),
            InvoiceReminder(invoice_id=invoice.id, days=3, sent_at=T0),
            InvoiceLine(
                invoice_id=invoice.id,
                position=1,
                description="Book",
                quantity=1,
                unit_price=Decimal("499.99"),
                amount=Decimal("499.99"),
            ),
            SandboxObject(
                id="sbx-seed-1",
                kind="payment",
                status="succeeded",
                amount=Decimal("4999.99"),
                idempotence_key="seed-key-1",
                data={"metadata": {"payment_id": "1"}, "description": "Счёт"},
                created_at=T0,
            ),
            Subscription(
                status="active",
                enrollment_id=enrollment.id,
                price_id=monthly.id,
                payer_id=parent.id,
                student_id=student.id,
                teacher_id=teacher.id,
                amount=Decimal("6000.00"),
                period_days=30,
                current_period_end=T0 + dt.timedelta(days=30),
                next_charge_at=T0 + dt.timedelta(days=30),
                payment_method_id="pm-seed",
                created_at=T0,
                updated_at=T0,
            ),
        ]
    )
    payment = Payment(
        purpose="invoice",
        status="partially_refunded",
        amount=Decimal("4999.99"),
        refunded_amount=Decimal("0.99"),
        description="Invoice",
        payer_id=parent.id,
        payee_id=teacher.id,
        student_id=student.id,
        invoice_id=invoice.id,
        provider="sandbox",
        provider_payment_id="sbx-seed-1",
        idempotence_key="thebot-payment-seed-1",
        payment_method_title="Sandbox card *4242",
        created_at=T0,
        updated_at=T0,
        succeeded_at=T0,
    )
    session.add(payment)
    session.flush()
    refund = Refund(
        payment_id=payment.id,
        status="succeeded",
        amount=Decimal("0.99"),
        reason="Округление",
        idempotence_key="thebot-refund-seed-1",
        created_by_id=admin.id,
        created_at=T0,
        updated_at=T0,
    )
    session.add(refund)
    session.flush()
    session.add_all(
        [
            LedgerEntry(
                kind="charge",
                amount=Decimal("4999.99"),
                currency="RUB",
                payment_id=payment.id,
                student_id=student.id,
                created_at=T0,
            ),
            LedgerEntry(
                kind="refund",
                amount=Decimal("-0.99"),
                currency="RUB",
                payment_id=payment.id,
                refund_id=refund.id,
                actor_id=admin.id,
                created_at=T0,
            ),
            LedgerEntry(
                kind="credit_grant",
                credits=8,
                student_id=student.id,
                subject_id=subject.id,
                note="8 уроков",
                created_at=T0,
            ),
        ]
    )
    session.flush()
