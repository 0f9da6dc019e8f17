"""Settings of the scheduling feature (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_int, as_list

SETTINGS: tuple[S, ...] = (
    # scheduling
    S(
        "lesson_min_minutes",
        "LESSON_MIN_MINUTES",
        30,
        as_int,
        "Shortest lesson that may be booked, in minutes.",
    ),
    S(
        "lesson_max_minutes",
        "LESSON_MAX_MINUTES",
        240,
        as_int,
        "Longest lesson that may be booked, in minutes.",
    ),
    S(
        "lesson_min_notice_minutes",
        "LESSON_MIN_NOTICE_MINUTES",
        15,
        as_int,
        "Minutes between booking (or rescheduling) a lesson and its start, at least.",
    ),
    S(
        "lesson_cancel_notice_hours",
        "LESSON_CANCEL_NOTICE_HOURS",
        2,
        as_int,
        "Hours before its start after which only an admin may cancel a lesson.",
    ),
    S(
        "meeting_link_hosts",
        "MEETING_LINK_HOSTS",
        ["telemost.yandex.ru", "meet.google.com"],
        as_list,
        "Hosts a lesson's https meeting link may point to (``.example.com`` matches subdomains).",
    ),
    # scheduling: reminders (and the caps of recurring series, the calendar feed window)
    S(
        "lesson_reminder_offsets",
        "LESSON_REMINDER_OFFSETS",
        "1440 60",
        lambda v: __import__(
            "thebot.scheduling.reminders.service", fromlist=["_"]
        ).as_minute_offsets(v),
        "Minutes before a lesson when its teacher, student and parents are reminded "
        "(space-separated; empty: no reminders).",
    ),
    S(
        "series_max_occurrences",
        "SERIES_MAX_OCCURRENCES",
        52,
        as_int,
        "Most lessons one recurring series may have.",
    ),
    S(
        "series_max_days",
        "SERIES_MAX_DAYS",
        366,
        as_int,
        "Most days from the first to the last lesson of a recurring series.",
    ),
    S(
        "calendar_feed_past_days",
        "CALENDAR_FEED_PAST_DAYS",
        90,
        as_int,
        "Days of past lessons an iCalendar feed still lists.",
    ),
)
