"""Periodic system work."""

from __future__ import annotations

from typing import Any

from thebot.system.service import record_health_check as record
from thebot.tasks import task


@task("system.record_health_check", queue="default", max_retries=0)
def record_health_check(request: Any) -> None:
    """Store one health check result: the data behind uptime/SLA and incidents."""
    record(request.dbsession, request.registry)
