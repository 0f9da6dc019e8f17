"""Invoices: a tutor or admin bills a student's parents."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.events import Committing
    from thebot.payments.events import PaymentSucceeded
    from thebot.payments.invoices.subscribers import settle_invoice
    from thebot.payments.invoices.tasks import OVERDUE_CRON, REMIND_CRON

    config.add_subscriber(settle_invoice, [Committing, PaymentSucceeded])
    config.add_periodic_task("payments.invoices.mark_overdue", cron=OVERDUE_CRON)
    config.add_periodic_task("payments.invoices.remind", cron=REMIND_CRON)
