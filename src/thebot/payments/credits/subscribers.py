"""Credits follow package payments and lessons (in the transaction that changed them)."""

from __future__ import annotations

from thebot.events import Committing
from thebot.payments.credits import service
from thebot.payments.events import PaymentSucceeded
from thebot.payments.payments.models import Payment, Purpose
from thebot.scheduling.events import LessonChanged
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
