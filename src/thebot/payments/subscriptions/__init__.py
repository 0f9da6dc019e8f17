"""Subject subscriptions with automatic renewal from the scheduler."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.events import Committing
    from thebot.payments.events import PaymentCanceled, PaymentSucceeded
    from thebot.payments.subscriptions.subscribers import payment_failed, period_paid
    from thebot.payments.subscriptions.tasks import RENEW_SECONDS

    config.add_subscriber(period_paid, [Committing, PaymentSucceeded])
    config.add_subscriber(payment_failed, [Committing, PaymentCanceled])
    config.add_periodic_task("payments.subscriptions.renew", seconds=RENEW_SECONDS)
