"""The renewal job (``thebot-scheduler`` -> Dramatiq): charge the subscriptions now due."""

from __future__ import annotations

from typing import Any

from thebot.db import utcnow
from thebot.payments.providers import provider_for
from thebot.payments.providers.base import PaymentsDisabled
from thebot.payments.subscriptions import service
from thebot.tasks import task

RENEW_SECONDS = 600


@task("payments.subscriptions.renew", max_retries=0)
def renew_subscriptions(request: Any) -> int:
    try:
        provider = provider_for(request)
    except PaymentsDisabled:
        return 0
    return service.renew_due(request.dbsession, provider, utcnow())
