"""The sandbox provider: YooKassa's lifecycle simulated in our own database (development).

Its confirmation URL is a page of this app (``thebot.payments.webhooks.views``) with "pay"
and "fail" buttons; pressing one changes the sandbox object and then runs the same
notification path as a YooKassa webhook (re-fetch, compare, apply). A saved method is charged
at once; one whose id ends in ``-decline`` is refused (to exercise failed renewals).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.payments.providers.base import ProviderPayment, ProviderRefund
from thebot.payments.providers.models import SandboxObject


class SandboxProvider:
    name = "sandbox"

    def __init__(self, dbsession: Session, page_url: Callable[[str], str]):
        self.dbsession = dbsession
        self.page_url = page_url

    def _existing(self, key: str) -> SandboxObject | None:
        return self.dbsession.scalar(
            select(SandboxObject).where(SandboxObject.idempotence_key == key)
        )

    def _payment(self, obj: SandboxObject) -> ProviderPayment:
        saved = obj.status == "succeeded" and obj.save_payment_method
        return ProviderPayment(
            id=obj.id,
            status=obj.status,
            amount=obj.amount,
            currency=obj.currency,
            confirmation_url=self.page_url(obj.id) if obj.status == "pending" else None,
            payment_method_id=obj.payment_method_id,
            payment_method_saved=saved or bool(obj.data.get("recurring")),
            payment_method_title="Sandbox card *4242" if obj.payment_method_id else None,
            cancellation_reason=obj.data.get("cancellation_reason"),
            metadata=dict(obj.data.get("metadata") or {}),
        )

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
    ) -> ProviderPayment:
        obj = self._existing(key)
        if obj is None:
            obj = SandboxObject(
                id=f"sbx-{secrets.token_hex(16)}",
                kind="payment",
                status="pending",
                amount=amount,
                currency=currency,
                idempotence_key=key,
                save_payment_method=save_payment_method,
                data={"metadata": metadata, "description": description},
            )
            if payment_method_id:  # a saved method: charged at once
                declined = payment_method_id.endswith("-decline")
                obj.status = "canceled" if declined else "succeeded"
                obj.payment_method_id = payment_method_id
                obj.data = {**obj.data, "recurring": True}
                if declined:
                    obj.data = {**obj.data, "cancellation_reason": "card_expired"}
            elif save_payment_method:
                obj.payment_method_id = f"sbx-pm-{secrets.token_hex(8)}"
            self.dbsession.add(obj)
            self.dbsession.flush()
        return self._payment(obj)

    def get_payment(self, payment_id: str) -> ProviderPayment | None:
        obj = self.dbsession.get(SandboxObject, payment_id)
        if obj is None or obj.kind != "payment":
            return None
        return self._payment(obj)

    def decide(self, payment_id: str, succeed: bool) -> bool:
        """The payer pressed "pay" or "fail" on the sandbox page: ``False`` if not pending."""
        obj = self.dbsession.get(SandboxObject, payment_id, with_for_update=True)
        if obj is None or obj.kind != "payment" or obj.status != "pending":
            return False
        obj.status = "succeeded" if succeed else "canceled"
        if not succeed:
            obj.data = {**obj.data, "cancellation_reason": "permission_revoked"}
        self.dbsession.flush()
        return True

    def create_refund(
        self, *, key: str, payment_id: str, amount: Decimal, currency: str, description: str
    ) -> ProviderRefund:
        obj = self._existing(key)
        if obj is None:
            obj = SandboxObject(
                id=f"sbx-rf-{secrets.token_hex(16)}",
                kind="refund",
                status="succeeded",
                amount=amount,
                currency=currency,
                idempotence_key=key,
                payment_id=payment_id,
                data={"description": description},
            )
            self.dbsession.add(obj)
            self.dbsession.flush()
        return self._refund(obj)

    def _refund(self, obj: SandboxObject) -> ProviderRefund:
        return ProviderRefund(
            id=obj.id,
            status=obj.status,
            amount=obj.amount,
            currency=obj.currency,
            payment_id=obj.payment_id or "",
        )

    def get_refund(self, refund_id: str) -> ProviderRefund | None:
        obj = self.dbsession.get(SandboxObject, refund_id)
        if obj is None or obj.kind != "refund":
            return None
        return self._refund(obj)
