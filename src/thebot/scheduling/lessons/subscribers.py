"""Tell the people of a lesson that it was booked, rescheduled or cancelled: the
``LessonChanged`` subscriber (``tell_about_lesson``) and the messages it writes.

Recipients: the teacher, the student and the student's parents, except whoever made the
change (they know). Each gets ``notify()`` of kind ``lessons.<event>``: the in-app
notification is stored in the same transaction (so it exists only if the change commits)
and an email, per their preferences, leaves only after the commit. Times are written in the
recipient's own time zone (their notification preferences) or, without preferences, in the
lesson's. Looking people up takes the same few queries however many parents there are
(then one insert per notification).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, User
from thebot.catalog.models import Subject
from thebot.events import Committing
from thebot.notifications.models import NotificationPreference
from thebot.notifications.service import notify
from thebot.scheduling.events import LessonChanged
from thebot.scheduling.lessons.service import BOOKED, CANCELLED, RESCHEDULED
from thebot.scheduling.models import Lesson, LessonSeries

EVENTS = (BOOKED, RESCHEDULED, CANCELLED)


def tell_about_lesson(committing: Committing, event: LessonChanged) -> None:
    """The lesson's people (the actor excepted) hear of a booking, cancellation or move."""
    dbsession = committing.dbsession
    if not event.change:
        return
    lesson = dbsession.get(Lesson, event.lesson_id)
    if lesson is None:
        return
    actor = dbsession.get(User, event.actor_id) if event.actor_id is not None else None
    old = {"start": event.old_start, "end": event.old_end} if event.old_start else None
    notify_lesson(committing.request, lesson, event.change, actor=actor, old=old)


def recipients(dbsession: Session, row: Lesson | LessonSeries) -> list[User]:
    """Teacher, student and the student's parents of a lesson or series (one query), in
    that order."""
    parents = select(ParentLink.parent_id).where(ParentLink.student_id == row.student_id)
    users = {
        u.id: u
        for u in dbsession.scalars(
            select(User).where(
                (User.id.in_([row.teacher_id, row.student_id])) | User.id.in_(parents)
            )
        )
    }
    ordered = [users.pop(row.teacher_id, None), users.pop(row.student_id, None)]
    return [u for u in ordered if u is not None] + sorted(users.values(), key=lambda u: u.id)


@dataclass(frozen=True)
class Audience:
    """Who hears of a change to a lesson or series, and the names its messages use."""

    readers: list[tuple[User, str]]  # each recipient and the time zone they read times in
    subject: str | None  # the subject's name (None: the subject is gone)
    teacher: str
    student: str


def audience(dbsession: Session, row: Lesson | LessonSeries, actor: User | None) -> Audience:
    """The people of ``row`` except ``actor`` (they know), each with the time zone of their
    notification preferences (else the row's), and the subject, teacher and student names."""
    people = recipients(dbsession, row)
    by_id = {u.id: u for u in people}
    targets = [u for u in people if actor is None or u.id != actor.id]
    if not targets:
        return Audience([], None, "", "")
    # Loaded once here; notify() then finds each preference in the session's identity map.
    prefs = {
        p.user_id: p
        for p in dbsession.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id.in_([u.id for u in targets])
            )
        )
    }
    readers = [(u, prefs[u.id].timezone if u.id in prefs else row.timezone) for u in targets]
    subject = dbsession.get(Subject, row.subject_id)
    teacher, student = by_id.get(row.teacher_id), by_id.get(row.student_id)
    return Audience(
        readers,
        subject.name if subject is not None else None,
        teacher.full_name if teacher else "the teacher",
        student.full_name if student else "the student",
    )


def _zone(name: str | None) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def when(start: dt.datetime, end: dt.datetime, timezone: str) -> str:
    """``Tue 01 Dec 2026, 15:00-16:00 (Europe/Moscow)``."""
    zone = _zone(timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    same_day = local_start.date() == local_end.date()
    until = f"{local_end:%H:%M}" if same_day else f"{local_end:%a %d %b %Y, %H:%M}"
    return f"{local_start:%a %d %b %Y, %H:%M}-{until} ({timezone})"


def message(
    event: str,
    lesson: Lesson,
    subject: str,
    teacher: str,
    student: str,
    timezone: str,
    old: dict[str, Any] | None,
) -> tuple[str, str]:
    """(title, body) of one notification, times in ``timezone``."""
    slot = when(lesson.start_at, lesson.end_at, timezone)
    who = f"{subject} with {teacher} for {student}"
    link = f"\nMeeting link: {lesson.meeting_link}" if lesson.meeting_link else ""
    if event == BOOKED:
        return f"Lesson booked: {subject}", f"{who}: {slot}.{link}"
    if event == RESCHEDULED:
        before = ""
        if old and old.get("start") and old.get("end"):
            previous = when(
                dt.datetime.fromisoformat(old["start"]),
                dt.datetime.fromisoformat(old["end"]),
                timezone,
            )
            before = f" (was {previous})"
        return f"Lesson moved: {subject}", f"{who} is now {slot}{before}.{link}"
    reason = f"\nReason: {lesson.cancel_reason}" if lesson.cancel_reason else ""
    return f"Lesson cancelled: {subject}", f"{who} on {slot} is cancelled.{reason}"


def notify_lesson(
    request: Any,
    lesson: Lesson,
    event: str,
    *,
    actor: User | None,
    old: dict[str, Any] | None = None,
) -> int:
    """Notify everyone concerned by ``event`` on ``lesson``; returns how many were told.

    ``old``: for a reschedule, the previous ``start``/``end`` (as ``changes.reschedule``
    returns them).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown lesson event {event!r}")
    people = audience(request.dbsession, lesson, actor)
    if not people.readers:
        return 0
    data = {
        "lesson_id": lesson.id,
        "event": event,
        "start": lesson.start_at.isoformat(),
        "end": lesson.end_at.isoformat(),
        "timezone": lesson.timezone,
        "status": lesson.status,
    }
    subject = people.subject or "Lesson"
    for user, timezone in people.readers:
        title, body = message(
            event, lesson, subject, people.teacher, people.student, timezone, old
        )
        notify(request, user, f"lessons.{event}", title, body, data=data)
    return len(people.readers)
