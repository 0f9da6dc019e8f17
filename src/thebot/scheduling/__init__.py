"""Scheduling: lessons, recurring series, conflicts, reminders and calendar feeds."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.scheduling.lessons.service import add_booking_guard
    from thebot.scheduling.lessons.tasks import COMPLETE_CRON, COMPLETE_TASK

    config.add_directive("add_booking_guard", add_booking_guard)  # payments: credits

    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        "lessons", "Lessons booked, confirmed, moved, cancelled; reminders", email=True
    )
    config.add_periodic_task(COMPLETE_TASK, cron=COMPLETE_CRON)  # lessons: auto-completion
    from thebot.scheduling.reminders.tasks import REMINDERS_TASK

    config.add_periodic_task(REMINDERS_TASK, seconds=60)  # reminders: every minute
    from thebot.accounts.events import PeopleChanged
    from thebot.events import Committing
    from thebot.scheduling.events import LessonChanged, LessonReminderDue, SeriesChanged
    from thebot.scheduling.lessons.subscribers import tell_about_lesson
    from thebot.scheduling.reminders.subscribers import send_reminder
    from thebot.scheduling.series.subscribers import tell_about_series
    from thebot.scheduling.subscribers import refresh_lesson_dashboards, stale_dashboards

    # Side effects of scheduling changes, in the transaction (see thebot.events).
    config.add_subscriber(tell_about_lesson, [Committing, LessonChanged])
    config.add_subscriber(tell_about_series, [Committing, SeriesChanged])
    config.add_subscriber(send_reminder, [Committing, LessonReminderDue])
    config.add_subscriber(stale_dashboards, [Committing, LessonChanged])
    config.add_subscriber(stale_dashboards, [Committing, SeriesChanged])
    config.add_subscriber(refresh_lesson_dashboards, [Committing, PeopleChanged])
    config.add_realtime_event(LessonChanged)  # thebot.realtime: to the sockets of its people
    config.include("thebot.scheduling.lessons.dashboard")  # the upcoming_lessons section
    config.scan("thebot.scheduling")
