"""The overdue job: sent invoices past their due date become ``overdue``."""

from __future__ import annotations

from typing import Any

from thebot.db import utcnow
from thebot.payments.invoices import service
from thebot.tasks import task

OVERDUE_CRON = "5 * * * *"  # hourly: a due date passes at midnight in some time zone


@task("payments.invoices.mark_overdue", max_retries=0)
def mark_overdue(request: Any) -> int:
    return len(service.mark_overdue(request.dbsession, utcnow().date()))
