"""Every model of the payments feature (imported by ``thebot.import_models``)."""

from thebot.payments.invoices.models import Invoice, InvoiceLine, InvoiceReminder
from thebot.payments.ledger.models import LedgerEntry
from thebot.payments.payments.models import Payment, Refund
from thebot.payments.prices.models import Price
from thebot.payments.providers.models import SandboxObject
from thebot.payments.subscriptions.models import Subscription

__all__ = [
    "Invoice",
    "InvoiceLine",
    "InvoiceReminder",
    "LedgerEntry",
    "Payment",
    "Price",
    "Refund",
    "SandboxObject",
    "Subscription",
]
