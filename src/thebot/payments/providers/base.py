"""The provider interface: what the payments service asks of YooKassa or the sandbox.

Every call that could create money carries ``key`` (the ``Idempotence-Key``), derived from
our payment or refund id and stored on it, so a retried call is the same call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from thebot.errors import DomainError


class ProviderError(DomainError):
    """The provider could not be reached, or failed (after the retries): 503, try later."""

    status = 503


class ProviderRejected(DomainError):
    """The provider refused the request (a 4xx): not retried."""

    status = 409


class PaymentsDisabled(DomainError):
    status = 503


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    status: str  # pending, waiting_for_capture, succeeded, canceled
    amount: Decimal
    currency: str
    confirmation_url: str | None = None
    payment_method_id: str | None = None
    payment_method_saved: bool = False
    payment_method_title: str | None = None
    cancellation_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: str  # pending, succeeded, canceled
    amount: Decimal
    currency: str
    payment_id: str


class Provider(Protocol):
    name: str

    def create_payment(
        self,
        *,
        key: str,
        amount: Decimal,
        currency: str,
        description: str,
        metadata: dict[str, str],
        return_url: str | None,
        save_payment_method: bool = False,
        payment_method_id: str | None = None,
    ) -> ProviderPayment: ...

    def get_payment(self, payment_id: str) -> ProviderPayment | None:
        """The provider's current object; ``None`` when it does not know the id."""

    def create_refund(
        self, *, key: str, payment_id: str, amount: Decimal, currency: str, description: str
    ) -> ProviderRefund: ...

    def get_refund(self, refund_id: str) -> ProviderRefund | None: ...
