"""Scheduling: lessons, recurring series, conflicts, reminders and calendar feeds."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.scheduling.tasks import COMPLETE_CRON, COMPLETE_TASK

    config.add_periodic_task(COMPLETE_TASK, cron=COMPLETE_CRON)  # lessons: auto-completion
    from thebot.scheduling.reminder_tasks import REMINDERS_TASK

    config.add_periodic_task(REMINDERS_TASK, seconds=60)  # reminders: every minute
    import thebot.scheduling.account_hooks  # noqa: F401  (account writes refresh dashboards)

    config.include("thebot.scheduling.events")  # subscribers: dashboards
    config.scan("thebot.scheduling")
