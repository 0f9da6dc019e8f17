"""Send a due lesson reminder: the ``LessonReminderDue`` subscriber and the text it writes.

The reminder was claimed by ``service.send_due_reminders`` in this transaction, so it is
sent once; ``notify()`` stores the in-app notification here and sends an email, per the
recipient's preferences, after the commit. Times are in the recipient's time zone (their
notification settings'), else the lesson's.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select

from thebot.accounts.models import User
from thebot.catalog.models import Subject
from thebot.events import Committing
from thebot.notifications.models import NotificationPreference
from thebot.notifications.service import notify
from thebot.scheduling.events import LessonReminderDue
from thebot.scheduling.models import Lesson

REMINDER_KIND = "lessons.reminder"


def send_reminder(committing: Committing, event: LessonReminderDue) -> None:
    """Tell ``event.user_id`` that their lesson starts soon."""
    dbsession = committing.dbsession
    lesson = dbsession.get(Lesson, event.lesson_id)
    user = dbsession.get(User, event.user_id)
    if lesson is None or user is None:
        return
    timezone = dbsession.scalar(
        select(NotificationPreference.timezone).where(NotificationPreference.user_id == user.id)
    )
    subject = dbsession.get(Subject, lesson.subject_id)
    names = {
        person_id: person.full_name if person is not None else "someone"
        for person_id, person in (
            (pid, dbsession.get(User, pid)) for pid in (lesson.teacher_id, lesson.student_id)
        )
    }
    title, body = message(
        lesson,
        user,
        dt.datetime.fromisoformat(event.at),
        subject.name if subject is not None else "lesson",
        names,
        timezone or lesson.timezone,
    )
    data = {"lesson_id": lesson.id, "start": event.start, "offset_minutes": event.offset_minutes}
    notify(committing.request, user, REMINDER_KIND, title, body, data=data)


def message(
    lesson: Lesson,
    user: User,
    now: dt.datetime,
    subject: str,
    names: dict[int, str],
    timezone: str,
) -> tuple[str, str]:
    """Title and text in ``timezone`` (UTC when it is not a known zone)."""
    name = timezone
    try:
        tz = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        name, tz = "UTC", zoneinfo.ZoneInfo("UTC")
    local = lesson.start_at.astimezone(tz)
    teacher = names.get(lesson.teacher_id, "someone")
    student = names.get(lesson.student_id, "someone")
    if user.id == lesson.teacher_id:
        who = f"Your {subject} lesson with {student}"
    elif user.id == lesson.student_id:
        who = f"Your {subject} lesson with {teacher}"
    else:
        who = f"{student}'s {subject} lesson with {teacher}"
    day = _day_word(local.date(), now.astimezone(tz).date()) or local.strftime("%A")
    clock = local.strftime("%H:%M")
    title = f"Reminder: {subject} lesson {day} at {clock}"
    date = f"{local.strftime('%A')} {local.day} {local.strftime('%B %Y')}"
    body = f"{who} starts {_in(lesson.start_at - now)}: {date} at {clock} ({name})."
    if lesson.meeting_link:
        body += f"\nJoin: {lesson.meeting_link}"
    return title, body


def _day_word(day: dt.date, today: dt.date) -> str | None:
    if day == today:
        return "today"
    if day == today + dt.timedelta(days=1):
        return "tomorrow"
    return None


def _in(delta: dt.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 90:
        return f"in {minutes} minute" + ("" if minutes == 1 else "s")
    hours = round(minutes / 60)
    return f"in about {hours} hours" if minutes % 60 else f"in {hours} hours"
