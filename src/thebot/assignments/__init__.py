"""Assignments, submissions, grading with rubrics and late policies, and progress reports."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.assignments.reports.tasks import WEEKLY_CRON, WEEKLY_TASK

    config.add_periodic_task(WEEKLY_TASK, cron=WEEKLY_CRON)  # weekly report drafts
    config.include("thebot.assignments.events")  # subscribers: notifications
    config.scan("thebot.assignments")
