"""Payments: money in (invoices, lesson packages, subject subscriptions) through a provider
(YooKassa, or the development sandbox), refunds, and the append-only ledger.

Sub-packages: ``providers`` (the interface, YooKassa, the sandbox), ``payments`` (the payment
state machine and refunds), ``webhooks`` (notifications, the sandbox page, polling),
``ledger``, ``invoices``, ``prices``, ``credits`` (lesson packages), ``subscriptions``.
"""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.events import Committing
    from thebot.payments import events
    from thebot.payments.payments.service import add_refund_guard
    from thebot.payments.subscribers import audit_event
    from thebot.payments.webhooks.tasks import POLL_SECONDS

    config.add_directive("add_refund_guard", add_refund_guard)
    for kind in (
        events.PaymentCreated,
        events.PaymentWaitingForCapture,
        events.PaymentSucceeded,
        events.PaymentCanceled,
        events.PaymentFlagged,
        events.RefundSucceeded,
        events.InvoiceChanged,
        events.InvoiceReminderDue,
        events.SubscriptionChanged,
    ):
        config.add_subscriber(audit_event, [Committing, kind])
    config.include("thebot.payments.notices")
    config.include("thebot.payments.invoices")
    config.include("thebot.payments.credits")
    config.include("thebot.payments.subscriptions")
    config.add_periodic_task("payments.poll_pending", seconds=POLL_SECONDS)
    config.scan("thebot.payments")
