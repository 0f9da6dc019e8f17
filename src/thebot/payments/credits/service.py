"""Lesson packages and credits: buying a package adds N credits to the student (once per
payment); a booked lesson holds one credit (``credit_use``), a cancelled lesson gives it
back (``credit_return``), a completed lesson keeps it (or takes one, if none was held).
Each movement happens once per lesson (partial unique indexes on the ledger). Only a
student who has ever had credits in the subject is charged credits (others pay otherwise).
Single lessons move credits on scheduling's ``LessonChanged``, series occurrences on its
``SeriesChanged`` (one event for the series: booked, created by a change, cancelled).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, Role, User
from thebot.accounts.relationships import visibility as people
from thebot.catalog.models import Enrollment, EnrollmentStatus
from thebot.errors import Conflict, Invalid
from thebot.events import record
from thebot.payments.events import CreditsChanged
from thebot.payments.ledger import service as ledger
from thebot.payments.ledger.models import Kind, LedgerEntry
from thebot.payments.payments import service as payments
from thebot.payments.payments.models import Payment, Purpose
from thebot.payments.prices.models import Price, PriceKind
from thebot.payments.providers.base import Provider

NOT_YOURS = "Not a student you may buy for"
BOOKED = frozenset({"pending", "confirmed"})
# session.info: (the open transaction, {(student, subject): lessons let through by the booking
# guard whose credit is not held yet}): a series holds its credits once all its occurrences
# are inserted (``SeriesChanged``), so the guard counts the ones it already let through.
UNHELD = "thebot.payments.credits.unheld"


def _unheld(dbsession: Session) -> dict[tuple[int, int], int]:
    """The tally of this transaction (a new transaction starts from nothing)."""
    txn = dbsession.get_transaction()
    while txn is not None and txn.parent is not None:
        txn = txn.parent
    found = dbsession.info.get(UNHELD)
    if found is None or found[0] is not txn:
        found = dbsession.info[UNHELD] = (txn, {})
    tally: dict[tuple[int, int], int] = found[1]
    return tally


def buyable(
    dbsession: Session, buyer: User, student_id: int, price_id: int
) -> tuple[User, Price, Enrollment]:
    """The student (a child of the buyer; admins: anyone), the package price, and the
    student's active enrollment it applies to. Unknown and unrelated students look alike."""
    student = dbsession.get(User, student_id)
    ok = student is not None and student.role == Role.STUDENT.value and student.is_active
    if ok and buyer.role != Role.ADMIN.value:
        ok = bool(
            dbsession.scalar(
                select(
                    exists().where(
                        ParentLink.parent_id == buyer.id, ParentLink.student_id == student_id
                    )
                )
            )
        )
    if not ok or student is None:
        raise Invalid("student_id", NOT_YOURS)
    price = dbsession.get(Price, price_id)
    if price is None or price.kind != PriceKind.PACKAGE.value or not price.is_active:
        raise Invalid("price_id", "Not an active lesson package")
    stmt = select(Enrollment).where(
        Enrollment.student_id == student.id,
        Enrollment.subject_id == price.subject_id,
        Enrollment.status == EnrollmentStatus.ACTIVE.value,
    )
    if price.teacher_id is not None:
        stmt = stmt.where(Enrollment.teacher_id == price.teacher_id)
    enrollment = dbsession.scalars(stmt.limit(1)).first()
    if enrollment is None:
        raise Invalid("price_id", "The student has no active enrollment this package is for")
    return student, price, enrollment


def purchase(
    dbsession: Session,
    provider: Provider,
    buyer: User,
    student_id: int,
    price_id: int,
    return_url: str | None,
) -> Payment:
    student, price, enrollment = buyable(dbsession, buyer, student_id, price_id)
    return payments.create_payment(
        dbsession,
        provider,
        purpose=Purpose.PACKAGE.value,
        amount=price.amount,
        currency=price.currency,
        payer_id=buyer.id,
        payee_id=price.teacher_id or enrollment.teacher_id,
        student_id=student.id,
        description=f"{price.title} ({price.lessons} lessons)",
        return_url=return_url,
        price_id=price.id,
    )


def grant(dbsession: Session, payment: Payment) -> None:
    """The package payment succeeded: its credits, once."""
    price = dbsession.get(Price, payment.price_id)
    if price is None or payment.student_id is None:
        return
    if ledger.exists(dbsession, Kind.CREDIT_GRANT, payment_id=payment.id):
        return
    ledger.append(
        dbsession,
        Kind.CREDIT_GRANT,
        credits=price.lessons,
        payment_id=payment.id,
        student_id=payment.student_id,
        subject_id=price.subject_id,
        teacher_id=payment.payee_id,
        note=price.title[:200],
    )
    record(
        dbsession,
        CreditsChanged(
            student_id=payment.student_id,
            subject_id=price.subject_id,
            delta=price.lessons or 0,
            kind="credit_grant",
        ),
    )


def _has_credits_history(dbsession: Session, student_id: int, subject_id: int) -> bool:
    return bool(
        dbsession.scalar(
            select(
                exists().where(
                    LedgerEntry.student_id == student_id,
                    LedgerEntry.subject_id == subject_id,
                    LedgerEntry.kind == Kind.CREDIT_GRANT.value,
                )
            )
        )
    )


def on_lesson(dbsession: Session, lesson: Any) -> str | None:
    """Move a credit for ``lesson`` as its status asks (idempotent): the kind moved, or None."""
    if lesson.subject_id is None or not _has_credits_history(
        dbsession, lesson.student_id, lesson.subject_id
    ):
        return None
    used = ledger.exists(dbsession, Kind.CREDIT_USE, lesson_id=lesson.id)
    if lesson.status in BOOKED or lesson.status == "completed":
        if used:
            return None
        kind, delta = Kind.CREDIT_USE, -1
    elif lesson.status == "cancelled":
        if not used or ledger.exists(dbsession, Kind.CREDIT_RETURN, lesson_id=lesson.id):
            return None
        kind, delta = Kind.CREDIT_RETURN, 1
    else:
        return None
    if kind is Kind.CREDIT_USE and lesson.status in BOOKED:
        tally = _unheld(dbsession)
        key = (lesson.student_id, lesson.subject_id)
        if tally.get(key):
            tally[key] -= 1
    ledger.append(
        dbsession,
        kind,
        credits=delta,
        lesson_id=lesson.id,
        student_id=lesson.student_id,
        subject_id=lesson.subject_id,
        teacher_id=lesson.teacher_id,
        note=f"lesson {lesson.id} {lesson.status}",
    )
    record(
        dbsession,
        CreditsChanged(
            student_id=lesson.student_id,
            subject_id=lesson.subject_id,
            delta=delta,
            kind=kind.value,
        ),
    )
    return kind.value


def booking_guard(
    dbsession: Session,
    settings: Any,
    teacher_id: int,
    student_id: int,
    subject_id: int | None,
    start: Any,
) -> None:
    """Refuse to book a lesson of a package subject when the student has no credit left and
    ``PAYMENTS_BOOKING_WITHOUT_CREDITS`` is off (a 409). Scheduling's booking guard
    (``config.add_booking_guard``): single lessons and series occurrences. A student who
    never had credits in the subject pays otherwise and is not refused. The occurrences of
    a series booked in this transaction count before their credits are held."""
    if settings.get("payments_booking_without_credits", True) or subject_id is None:
        return
    if not _has_credits_history(dbsession, student_id, subject_id):
        return
    tally = _unheld(dbsession)
    key = (student_id, subject_id)
    left = ledger.credit_balance(dbsession, student_id, subject_id) - tally.get(key, 0)
    if left < 1:
        raise Conflict(
            "The student has no lesson credit left in this subject: buy a package first.",
            credits=0,
        )
    tally[key] = tally.get(key, 0) + 1


def refund_guard(
    dbsession: Session, payment: Payment, amount: Decimal, force: bool, actor: User
) -> None:
    """Refunding a package takes its credits back first (in proportion to the amount);
    refused when the student has fewer unused credits, unless ``force``."""
    price = dbsession.get(Price, payment.price_id)
    if price is None or payment.student_id is None or not price.lessons:
        return
    take = math.ceil(price.lessons * amount / payment.amount)
    balance = ledger.credit_balance(dbsession, payment.student_id, price.subject_id)
    if balance < take and not force:
        raise Conflict(
            f"The student has {balance} unused credits of the {take} this refund takes back; "
            "refund less, or force it (the balance goes below zero).",
            unused_credits=balance,
            credits_to_remove=take,
        )
    ledger.append(
        dbsession,
        Kind.ADJUSTMENT,
        credits=-take,
        payment_id=payment.id,
        student_id=payment.student_id,
        subject_id=price.subject_id,
        actor_id=actor.id,
        note=f"refund of payment {payment.id}",
    )


def visible_credits_clause(dbsession: Session, viewer: User) -> ColumnElement[bool]:
    """Credit rows of the students ``viewer`` sees: their own, their children's, those they
    teach; admins all."""
    if not viewer.is_active:
        return false()
    if viewer.role == Role.ADMIN.value:
        return true()
    if viewer.role == Role.STUDENT.value:
        return LedgerEntry.student_id == viewer.id
    if viewer.role == Role.PARENT.value:
        return LedgerEntry.student_id.in_(people.children_of(viewer.id))
    if viewer.role in people.TEACHING_ROLES:
        return or_(
            LedgerEntry.student_id.in_(people.students_taught_by(dbsession, viewer.id)),
            LedgerEntry.teacher_id == viewer.id,
        )
    return false()
