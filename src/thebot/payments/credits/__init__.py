"""Lesson packages: credits bought, held by booked lessons, given back by cancellations."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.events import Committing
    from thebot.payments.credits import service
    from thebot.payments.credits.subscribers import follow_lesson, follow_series, grant_package
    from thebot.payments.events import PaymentSucceeded
    from thebot.scheduling.events import LessonChanged, SeriesChanged

    config.add_subscriber(grant_package, [Committing, PaymentSucceeded])
    config.add_subscriber(follow_lesson, [Committing, LessonChanged])
    config.add_subscriber(follow_series, [Committing, SeriesChanged])
    config.add_refund_guard("package", service.refund_guard)
    config.add_booking_guard(service.booking_guard)  # PAYMENTS_BOOKING_WITHOUT_CREDITS
