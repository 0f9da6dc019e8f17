"""Credits follow package payments and lessons (in the transaction that changed them):
single lessons through ``LessonChanged``, the lessons of a series through ``SeriesChanged``
(series changes record no per-lesson event)."""

from __future__ import annotations

from thebot.events import Committing
from thebot.payments.credits import service
from thebot.payments.events import PaymentSucceeded
from thebot.payments.payments.models import Payment, Purpose
from thebot.scheduling.events import LessonChanged, SeriesChanged
from thebot.scheduling.models import Lesson


def grant_package(committing: Committing, event: PaymentSucceeded) -> None:
    if event.purpose != Purpose.PACKAGE.value:
        return
    payment = committing.dbsession.get(Payment, event.payment_id)
    if payment is not None:
        service.grant(committing.dbsession, payment)


def follow_lesson(committing: Committing, event: LessonChanged) -> None:
    lesson = committing.dbsession.get(Lesson, event.lesson_id)
    if lesson is not None:
        service.on_lesson(committing.dbsession, lesson)


def follow_series(committing: Committing, event: SeriesChanged) -> None:
    """Occurrences booked or created (a credit held), cancelled (returned); moved ones
    already hold theirs (``on_lesson`` is idempotent)."""
    dbsession = committing.dbsession
    for lesson_id in (*event.booked_ids, *event.rescheduled_ids, *event.cancelled_ids):
        lesson = dbsession.get(Lesson, lesson_id)
        if lesson is not None:
            service.on_lesson(dbsession, lesson)
