"""Assignments, submissions, grading with rubrics and late policies, and progress reports."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.assignments.events import AssignmentRescheduled
    from thebot.assignments.reports.tasks import WEEKLY_CRON, WEEKLY_TASK
    from thebot.assignments.submissions.grading import graded_points, relate_lateness
    from thebot.events import Committing

    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        "assignments", "Assignments published, submitted and graded", email=True
    )
    config.add_notification_category(
        "reports", "Progress reports sent and acknowledged", email=True
    )
    config.add_periodic_task(WEEKLY_TASK, cron=WEEKLY_CRON)  # weekly report drafts
    config.add_points_source("assignments", graded_points)  # grades count as profile points
    config.include("thebot.assignments.events")  # subscribers: notifications
    config.add_subscriber(relate_lateness, [Committing, AssignmentRescheduled])
    config.include("thebot.assignments.reports.events")  # subscribers: notifications
    config.scan("thebot.assignments")
