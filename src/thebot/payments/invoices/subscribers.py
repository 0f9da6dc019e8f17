"""A succeeded payment of an invoice marks it paid (in the payment's transaction)."""

from __future__ import annotations

from thebot.events import Committing
from thebot.payments.events import PaymentSucceeded
from thebot.payments.invoices import service
from thebot.payments.payments.models import Payment, Purpose


def settle_invoice(committing: Committing, event: PaymentSucceeded) -> None:
    if event.purpose != Purpose.INVOICE.value:
        return
    payment = committing.dbsession.get(Payment, event.payment_id)
    if payment is not None and payment.invoice_id is not None:
        service.settle(committing.dbsession, payment)
