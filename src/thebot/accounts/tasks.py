"""Periodic account housekeeping."""

from __future__ import annotations

import logging
from typing import Any

from thebot.accounts.retention import purge_expired_credentials
from thebot.db import utcnow
from thebot.tasks import task

log = logging.getLogger(__name__)


@task("accounts.purge_expired_credentials", queue="default")
def purge_expired(request: Any) -> None:
    counts = purge_expired_credentials(request.dbsession, utcnow())
    log.info("purged expired credentials: %s", counts)
