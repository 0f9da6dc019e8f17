"""The YooKassa API v3 adapter: a thin HTTP client (no SDK, so no global configuration).

- HTTP Basic with the shop id and secret key; JSON both ways; ``Idempotence-Key`` on POSTs.
- Timeouts on every call; network errors and 5xx answers are retried with exponential
  backoff and the *same* key (YooKassa answers a repeated key with the first result, so a
  retry never charges twice); 4xx answers are not retried.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from thebot.payments.money import quantize
from thebot.payments.providers.base import (
    ProviderError,
    ProviderPayment,
    ProviderRefund,
    ProviderRejected,
)

log = logging.getLogger(__name__)


class YooKassaClient:
    def __init__(
        self,
        *,
        shop_id: str,
        secret_key: str,
        api_url: str,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.api_url = api_url.rstrip("/")
        token = base64.b64encode(f"{shop_id}:{secret_key}".encode()).decode()
        self.authorization = f"Basic {token}"
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None
    ) -> dict[str, Any] | None:
        """The decoded answer; ``None`` for a 404 of a GET. Raises ``ProviderRejected`` on a
        4xx, ``ProviderError`` once the attempts are spent."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": self.authorization, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotence-Key"] = key
        last: str = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            # The URL is the configured API base (https in production, checked at start-up).
            request = urllib.request.Request(  # noqa: S310
                self.api_url + path, data=data, headers=headers, method=method
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                status = exc.code
                text = exc.read()[:500].decode("utf-8", "replace")
                if status == 404 and method == "GET":
                    return None
                if 400 <= status < 500:
                    log.warning("yookassa %s %s: %s %s", method, path, status, text)
                    raise ProviderRejected(
                        f"The payment provider refused the request ({status})."
                    ) from exc
                last = f"{status} {text}"
            except (TimeoutError, urllib.error.URLError, ConnectionError, ValueError) as exc:
                last = repr(exc)
            log.warning("yookassa %s %s attempt %d failed: %s", method, path, attempt + 1, last)
        raise ProviderError("The payment provider is unavailable; try again later.")


def _money(data: dict[str, Any]) -> tuple[Decimal, str]:
    return quantize(data["value"]), data["currency"]


def parse_payment(data: dict[str, Any]) -> ProviderPayment:
    amount, currency = _money(data["amount"])
    method = data.get("payment_method") or {}
    confirmation = data.get("confirmation") or {}
    cancellation = data.get("cancellation_details") or {}
    return ProviderPayment(
        id=str(data["id"]),
        status=str(data["status"]),
        amount=amount,
        currency=currency,
        confirmation_url=confirmation.get("confirmation_url"),
        payment_method_id=method.get("id"),
        payment_method_saved=bool(method.get("saved")),
        payment_method_title=method.get("title"),
        cancellation_reason=cancellation.get("reason"),
        metadata=dict(data.get("metadata") or {}),
    )


def parse_refund(data: dict[str, Any]) -> ProviderRefund:
    amount, currency = _money(data["amount"])
    return ProviderRefund(
        id=str(data["id"]),
        status=str(data["status"]),
        amount=amount,
        currency=currency,
        payment_id=str(data.get("payment_id", "")),
    )


def _amount(amount: Decimal, currency: str) -> dict[str, str]:
    return {"value": f"{quantize(amount):.2f}", "currency": currency}


class YooKassaProvider:
    name = "yookassa"

    def __init__(self, client: YooKassaClient):
        self.client = client

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
        body: dict[str, Any] = {
            "amount": _amount(amount, currency),
            "capture": True,
            "description": description[:128],
            "metadata": metadata,
        }
        if payment_method_id:
            body["payment_method_id"] = payment_method_id
        else:
            body["confirmation"] = {"type": "redirect", "return_url": return_url or ""}
            if save_payment_method:
                body["save_payment_method"] = True
        data = self.client.call("POST", "/payments", body, key=key)
        if data is None:  # pragma: no cover - a POST never answers None
            raise ProviderError("The payment provider gave no answer.")
        return parse_payment(data)

    def get_payment(self, payment_id: str) -> ProviderPayment | None:
        data = self.client.call("GET", f"/payments/{payment_id}")
        return parse_payment(data) if data is not None else None

    def create_refund(
        self, *, key: str, payment_id: str, amount: Decimal, currency: str, description: str
    ) -> ProviderRefund:
        body = {
            "payment_id": payment_id,
            "amount": _amount(amount, currency),
            "description": description[:250],
        }
        data = self.client.call("POST", "/refunds", body, key=key)
        if data is None:  # pragma: no cover
            raise ProviderError("The payment provider gave no answer.")
        return parse_refund(data)

    def get_refund(self, refund_id: str) -> ProviderRefund | None:
        data = self.client.call("GET", f"/refunds/{refund_id}")
        return parse_refund(data) if data is not None else None
