"""Payment providers: ``provider_for(request)`` builds the configured one (``PAYMENT_PROVIDER``).

Tests and integrators may put a factory under ``registry["payments.provider_factory"]``.
"""

from __future__ import annotations

from typing import Any

from thebot.payments.providers.base import PaymentsDisabled, Provider
from thebot.payments.settings import provider_name

FACTORY_KEY = "payments.provider_factory"
SANDBOX_ROUTE = "payments_sandbox"


def provider_for(request: Any) -> Provider:
    factory = request.registry.get(FACTORY_KEY)
    if factory is not None:
        return factory(request)
    settings = request.registry.settings
    name = provider_name(settings)
    if name == "yookassa":
        from thebot.payments.providers.yookassa import YooKassaClient, YooKassaProvider

        client = YooKassaClient(
            shop_id=settings["yookassa_shop_id"] or "",
            secret_key=settings["yookassa_secret_key"] or "",
            api_url=settings["yookassa_api_url"],
            timeout=settings["yookassa_timeout"],
            attempts=settings["yookassa_retries"],
            backoff=settings.get("yookassa_backoff", 0.5),
        )
        return YooKassaProvider(client)
    if name == "sandbox":
        from thebot.payments.providers.sandbox import SandboxProvider

        def page_url(object_id: str) -> str:
            return request.route_url(SANDBOX_ROUTE, token=object_id)

        return SandboxProvider(request.dbsession, page_url)
    raise PaymentsDisabled("Payments are switched off on this server (PAYMENT_PROVIDER).")
