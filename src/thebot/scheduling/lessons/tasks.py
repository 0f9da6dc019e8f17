"""Scheduling actors: lessons that ended while confirmed become completed."""

from __future__ import annotations

import logging
from typing import Any

from thebot.db import utcnow
from thebot.scheduling.lessons.states import complete_finished_lessons
from thebot.tasks import task

log = logging.getLogger(__name__)

COMPLETE_TASK = "scheduling.complete_finished_lessons"
COMPLETE_CRON = "*/5 * * * *"  # every five minutes (UTC)


@task(COMPLETE_TASK, queue="default")
def complete_finished(request: Any) -> int:
    """Mark confirmed lessons whose end has passed completed (history actor: the system)."""
    count = complete_finished_lessons(request.dbsession, utcnow())
    if count:
        log.info("completed %d finished lessons", count)
    return count
