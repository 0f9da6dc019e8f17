"""Reminder actor: run every minute by the scheduler (see ``thebot.scheduling.includeme``)."""

from __future__ import annotations

from typing import Any

from thebot.db import utcnow
from thebot.scheduling.reminders.service import send_due_reminders
from thebot.tasks import task

REMINDERS_TASK = "scheduling.send_lesson_reminders"


@task(REMINDERS_TASK, queue="default", max_retries=0)
def send_lesson_reminders(request: Any) -> int:
    """Send the reminders that are due now. No retries: the next run (a minute later) picks up
    whatever this one did not commit, and claims keep each reminder to one sending."""
    return send_due_reminders(request, utcnow())
