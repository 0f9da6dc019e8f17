"""Calendar feeds: a secret token per user and the iCalendar feed of the lessons they see.

The token is the credential of ``GET /api/scheduling/calendar/{token}.ics``: calendar apps
(Google Calendar, Apple Calendar) subscribe to a URL and send no other authentication. It is
32 random bytes, shown once, stored as SHA-256; issuing a new one revokes the old (one live
token per user), and a revoked or unknown token finds nothing (404).

The feed holds the lessons the token's owner may see (``lesson_visibility``), from
``CALENDAR_FEED_PAST_DAYS`` ago on, one VEVENT each: UID ``lesson-<id>@thebot`` (stable for
the lesson's life), SEQUENCE from ``Lesson.sequence`` (bumped by every visible change),
STATUS ``TENTATIVE`` (pending), ``CONFIRMED`` (confirmed, completed) or ``CANCELLED``,
DTSTART/DTEND in the lesson's time zone (with its VTIMEZONE) or UTC, DTSTAMP/LAST-MODIFIED
from the lesson's last change, so the same data
always gives the same bytes (and ETag). Private notes never leave. Occurrences of a series
are standalone events: each has its own UID, so a RECURRENCE-ID would point at a master event
that does not exist (RFC 5545 section 3.8.4.4) and clients would show orphans.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any, cast

import icalendar
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.catalog.models import Subject
from thebot.scheduling.lessons.visibility import visible_lessons_clause
from thebot.scheduling.models import CalendarToken, Lesson, LessonStatus

TOKEN_BYTES = 32
TOKEN_MAX_LENGTH = 128
PRODID = "-//THE_BOT//Lessons//EN"
UID_DOMAIN = "thebot"
DEFAULT_PAST_DAYS = 90
MAX_EVENTS = 2000  # a feed is read every few minutes by calendar apps: keep it bounded
REFRESH = dt.timedelta(hours=1)
STATUS = {
    LessonStatus.PENDING.value: "TENTATIVE",
    LessonStatus.CONFIRMED.value: "CONFIRMED",
    LessonStatus.COMPLETED.value: "CONFIRMED",
    LessonStatus.CANCELLED.value: "CANCELLED",
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- tokens ------------------------------------------------------------------------------


def revoke_tokens(dbsession: Session, user: User, now: dt.datetime) -> int:
    """Revoke the user's live feed token(s); returns how many."""
    # An UPDATE runs on a cursor; Session.execute is only typed as returning rows.
    result = cast(
        "CursorResult[Any]",
        dbsession.execute(
            update(CalendarToken)
            .where(CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    return int(result.rowcount or 0)


def issue_token(dbsession: Session, user: User, now: dt.datetime) -> tuple[str, CalendarToken]:
    """A new token for ``user`` (the old one stops working); the clear token is returned once.

    The user's row is locked first on PostgreSQL so two concurrent requests cannot both
    leave a live token (SQLite serialises writing requests already).
    """
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.execute(select(User.id).where(User.id == user.id).with_for_update())
    revoke_tokens(dbsession, user, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = CalendarToken(user_id=user.id, token_hash=hash_token(token), created_at=now)
    dbsession.add(row)
    dbsession.flush()
    return token, row


def feed_owner(dbsession: Session, token: str) -> User | None:
    """The active user whose live token this is, else ``None`` (looked up by hash)."""
    if not token or len(token) > TOKEN_MAX_LENGTH or not token.isascii():
        return None
    row = dbsession.execute(
        select(CalendarToken).where(CalendarToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    user = dbsession.get(User, row.user_id)
    return user if user is not None and user.is_active else None


# --- the feed ----------------------------------------------------------------------------


def feed_lessons(
    dbsession: Session, user: User, now: dt.datetime, past_days: int = DEFAULT_PAST_DAYS
) -> list[Lesson]:
    since = now - dt.timedelta(days=past_days)
    stmt = (
        select(Lesson)
        .where(visible_lessons_clause(user), Lesson.end_at >= since)
        .order_by(Lesson.start_at, Lesson.id)
        .limit(MAX_EVENTS)
    )
    return list(dbsession.scalars(stmt))


def feed_names(
    dbsession: Session, lessons: Sequence[Lesson]
) -> tuple[dict[int, str], dict[int, str]]:
    """People's and subjects' names for the lessons, in two queries."""
    user_ids = {x.teacher_id for x in lessons} | {x.student_id for x in lessons}
    people = {
        u.id: u.full_name for u in dbsession.scalars(select(User).where(User.id.in_(user_ids)))
    }
    subject_ids = {x.subject_id for x in lessons}
    subjects = dict(
        dbsession.execute(
            select(Subject.id, Subject.name).where(Subject.id.in_(subject_ids))
        ).all()
    )
    return people, subjects


def _zone(name: str) -> dt.tzinfo:
    if name in ("UTC", "Etc/UTC"):
        return dt.timezone.utc  # written with a Z, no VTIMEZONE needed
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def summary(
    lesson: Lesson, owner: User, people: Mapping[int, str], subjects: Mapping[int, str]
) -> str:
    subject = subjects.get(lesson.subject_id, "Lesson")
    teacher = people.get(lesson.teacher_id, "")
    student = people.get(lesson.student_id, "")
    if owner.id == lesson.teacher_id:
        return f"{subject} with {student}"
    if owner.id == lesson.student_id:
        return f"{subject} with {teacher}"
    return f"{subject}: {student} with {teacher}"


def lesson_event(
    lesson: Lesson, owner: User, people: Mapping[int, str], subjects: Mapping[int, str]
) -> icalendar.Event:
    zone = _zone(lesson.timezone)
    event = icalendar.Event()
    event.add("uid", f"lesson-{lesson.id}@{UID_DOMAIN}")
    event.add("dtstamp", lesson.updated_at.astimezone(dt.timezone.utc))
    event.add("created", lesson.created_at.astimezone(dt.timezone.utc))
    event.add("last-modified", lesson.updated_at.astimezone(dt.timezone.utc))
    event.add("sequence", lesson.sequence or 0)
    event.add("dtstart", lesson.start_at.astimezone(zone))
    event.add("dtend", lesson.end_at.astimezone(zone))
    event.add("summary", summary(lesson, owner, people, subjects))
    event.add("status", STATUS.get(lesson.status, "CONFIRMED"))
    event.add("transp", "TRANSPARENT" if lesson.status == "cancelled" else "OPAQUE")
    text = [lesson.description] if lesson.description else []
    if lesson.meeting_link:
        event.add("location", lesson.meeting_link)
        event.add("url", lesson.meeting_link)
        text.append(f"Meeting link: {lesson.meeting_link}")
    if lesson.status == "cancelled" and lesson.cancel_reason:
        text.append(f"Cancelled: {lesson.cancel_reason}")
    if text:
        event.add("description", "\n\n".join(text))
    return event


def build_feed(
    owner: User,
    lessons: Sequence[Lesson],
    people: Mapping[int, str],
    subjects: Mapping[int, str],
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"THE_BOT lessons: {owner.full_name}")
    cal.add("x-wr-caldesc", "Lessons from THE_BOT")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    for lesson in lessons:
        cal.add_component(lesson_event(lesson, owner, people, subjects))
    cal.add_missing_timezones()  # a VTIMEZONE for every TZID the events use
    return cal.to_ical()


def feed_for(
    dbsession: Session, owner: User, now: dt.datetime, past_days: int = DEFAULT_PAST_DAYS
) -> bytes:
    lessons = feed_lessons(dbsession, owner, now, past_days)
    people, subjects = feed_names(dbsession, lessons)
    return build_feed(owner, lessons, people, subjects)


def feed_etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def token_json(token: str, row: CalendarToken, url: str) -> dict[str, Any]:
    return {"token": token, "url": url, "created_at": row.created_at.isoformat()}
