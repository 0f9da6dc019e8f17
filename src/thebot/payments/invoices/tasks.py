"""The overdue job: sent invoices past their due date become ``overdue``."""

from __future__ import annotations

from typing import Any

from thebot.db import utcnow
from thebot.payments.invoices import service
from thebot.tasks import task

OVERDUE_CRON = "5 * * * *"  # hourly: a due date passes at midnight in some time zone
REMIND_CRON = "0 9 * * *"  # once a day (UTC); each reminder is recorded and goes once


@task("payments.invoices.mark_overdue", max_retries=0)
def mark_overdue(request: Any) -> int:
    return len(service.mark_overdue(request.dbsession, utcnow().date()))


@task("payments.invoices.remind", max_retries=0)
def remind(request: Any) -> int:
    return len(service.remind(request.dbsession, utcnow().date()))
