"""The polling job: payments still pending after ``PAYMENT_PENDING_MINUTES`` are asked for
at the provider (a webhook may have been lost), through the webhook path."""

from __future__ import annotations

import logging
from typing import Any

from thebot.db import utcnow
from thebot.payments.providers import provider_for
from thebot.payments.providers.base import PaymentsDisabled
from thebot.payments.webhooks import service
from thebot.tasks import task

log = logging.getLogger(__name__)
POLL_SECONDS = 300


@task("payments.poll_pending", max_retries=0)
def poll_pending(request: Any) -> int:
    try:
        provider = provider_for(request)
    except PaymentsDisabled:
        return 0
    minutes = request.registry.settings["payment_pending_minutes"]
    changed = service.poll(request.dbsession, provider, utcnow(), minutes)
    if changed:
        log.info("polling: %d payments changed", changed)
    return changed
