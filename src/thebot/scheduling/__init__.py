"""Scheduling: lessons, recurring series, conflicts, reminders and calendar feeds."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.scheduling.lessons.tasks import COMPLETE_CRON, COMPLETE_TASK

    config.add_periodic_task(COMPLETE_TASK, cron=COMPLETE_CRON)  # lessons: auto-completion
    from thebot.scheduling.reminders.tasks import REMINDERS_TASK

    config.add_periodic_task(REMINDERS_TASK, seconds=60)  # reminders: every minute
    from thebot.accounts.events import PeopleChanged
    from thebot.events import Committing
    from thebot.scheduling.subscribers import refresh_lesson_dashboards

    config.include("thebot.scheduling.events")  # subscribers: dashboards
    config.add_subscriber(refresh_lesson_dashboards, [Committing, PeopleChanged])
    config.scan("thebot.scheduling")
