"""Lesson reminders: before each pending or confirmed lesson (``LESSON_REMINDER_OFFSETS``
minutes, default 24 hours and 1 hour), its teacher, its student and the student's parents
are told through ``notify()`` (which honours their channels and quiet hours).

A periodic actor (``tasks``) calls ``send_due_reminders`` every minute. Each due reminder is
claimed here and recorded as a ``LessonReminderDue`` event; its subscriber
(``subscribers.send_reminder``) writes and sends the notification in the same
transaction. A reminder is
*due* once ``start - offset`` has come and the lesson has not started; a reminder whose time
came before the lesson was booked is skipped (the booking notification said it all).

At most once: each (lesson, recipient, offset) is *claimed* by inserting a ``LessonReminder``
row in the same transaction as the event (and so the notification); its unique key makes a
second insert (a
second worker, a re-run after a crash, a retried message) a no-op, and an email leaves only
after that transaction commits. A claim made for an earlier start of a lesson that was
rescheduled later is stale: it is re-claimed (by a guarded update) for the new time.

Cancelled lessons are never reminded of: the scan reads only pending and confirmed lessons,
and on PostgreSQL holds them ``FOR SHARE`` so a cancellation either commits before (the lesson
is not read) or waits until the reminders are recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, User
from thebot.events import record
from thebot.scheduling.events import LessonReminderDue
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson, LessonReminder

log = logging.getLogger(__name__)

DEFAULT_OFFSETS = (1440, 60)
BATCH = 200
KEY = (LessonReminder.lesson_id, LessonReminder.user_id, LessonReminder.offset_minutes)


def as_minute_offsets(value: Any) -> list[int]:
    """Coerce ``LESSON_REMINDER_OFFSETS`` ("1440 60" or a list): positive minutes, largest
    first; an empty value turns reminders off."""
    items = (
        value if isinstance(value, (list, tuple)) else str(value or "").replace(",", " ").split()
    )
    offsets = set()
    for item in items:
        text = str(item).strip()
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValueError(f"reminder offsets are positive whole minutes, not {item!r}")
        offsets.add(int(text))
    return sorted(offsets, reverse=True)


def reminder_offsets(settings: Mapping[str, Any]) -> list[int]:
    """The configured offsets in minutes, largest first."""
    offsets = settings.get("lesson_reminder_offsets")
    return as_minute_offsets(DEFAULT_OFFSETS if offsets is None else offsets)


def due_offsets(lesson: Lesson, now: dt.datetime, offsets: list[int]) -> list[int]:
    """The offsets whose reminder time has come for ``lesson`` (none once it started)."""
    if not now < lesson.start_at:
        return []
    due = []
    for offset in offsets:
        at = lesson.start_at - dt.timedelta(minutes=offset)
        if at <= now and at >= lesson.created_at:
            due.append(offset)
    return due


def upcoming_lessons(
    dbsession: Session, now: dt.datetime, offsets: list[int]
) -> Iterator[list[Lesson]]:
    """Pending/confirmed lessons starting within the largest offset, in batches."""
    if not offsets:
        return
    horizon = now + dt.timedelta(minutes=max(offsets))
    after: tuple[dt.datetime, int] | None = None
    while True:
        stmt = select(Lesson).where(
            Lesson.status.in_(ACTIVE_STATUSES), Lesson.start_at > now, Lesson.start_at <= horizon
        )
        if after is not None:
            stmt = stmt.where(tuple_(Lesson.start_at, Lesson.id) > tuple_(*after))
        stmt = (
            stmt.order_by(Lesson.start_at, Lesson.id)
            .limit(BATCH)
            .with_for_update(read=True, skip_locked=True)
        )
        batch = list(dbsession.scalars(stmt))
        if batch:
            yield batch
        if len(batch) < BATCH:
            return
        after = (batch[-1].start_at, batch[-1].id)


def claim(
    dbsession: Session,
    lesson: Lesson,
    user_id: int,
    offset: int,
    now: dt.datetime,
) -> bool:
    """Record that this reminder is being sent; ``False`` if it was already (for this start)."""
    values = {
        "lesson_id": lesson.id,
        "user_id": user_id,
        "offset_minutes": offset,
        "sent_at": now,
    }
    dialect = dbsession.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(LessonReminder)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[c.key for c in KEY])
            .returning(LessonReminder.id)
        )
        if dbsession.execute(stmt).scalar() is not None:
            return True
    else:  # pragma: no cover - the two supported databases take the branch above
        try:
            with dbsession.begin_nested():
                dbsession.add(LessonReminder(**values))
            return True
        except IntegrityError:
            pass
    # Claimed before: only a claim older than this reminder's time (the lesson moved later)
    # may be taken over; concurrent takers re-check the condition, so one wins.
    window_start = lesson.start_at - dt.timedelta(minutes=offset)
    # An UPDATE runs on a cursor; Session.execute is only typed as returning rows.
    stale = cast(
        "CursorResult[Any]",
        dbsession.execute(
            update(LessonReminder)
            .where(*(c == values[c.key] for c in KEY), LessonReminder.sent_at < window_start)
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    return stale.rowcount == 1


def send_due_reminders(request: Any, now: dt.datetime) -> int:
    """Claim every due reminder once and record it (``LessonReminderDue``: a subscriber
    sends it); returns how many reminders were due."""
    dbsession: Session = request.dbsession
    offsets = reminder_offsets(request.registry.settings)
    sent = 0
    for lessons in upcoming_lessons(dbsession, now, offsets):
        due = {lesson.id: due_offsets(lesson, now, offsets) for lesson in lessons}
        lessons = [lesson for lesson in lessons if due[lesson.id]]
        if not lessons:
            continue
        context = ReminderContext.load(dbsession, lessons)
        for lesson in lessons:
            for user in context.recipients(lesson):
                window = {o: lesson.start_at - dt.timedelta(minutes=o) for o in due[lesson.id]}
                claimed = [
                    offset
                    for offset in due[lesson.id]
                    if not context.claimed(lesson.id, user.id, offset, window[offset])
                    and claim(dbsession, lesson, user.id, offset, now)
                ]
                if claimed:
                    due_now = LessonReminderDue(
                        lesson_id=lesson.id,
                        user_id=user.id,
                        offset_minutes=min(claimed),
                        start=lesson.start_at.isoformat(),
                        at=now.isoformat(),
                    )
                    record(dbsession, due_now)
                    sent += 1
    if sent:
        log.info("sent %d lesson reminders", sent)
    return sent


class ReminderContext:
    """Everything one batch of lessons needs, loaded in a constant number of queries."""

    def __init__(
        self,
        users: dict[int, User],
        parents: dict[int, list[int]],
        claims: dict[tuple[int, int, int], dt.datetime],
    ):
        self.users = users
        self.parents = parents
        self.claims = claims

    @classmethod
    def load(cls, dbsession: Session, lessons: list[Lesson]) -> ReminderContext:
        lesson_ids = [lesson.id for lesson in lessons]
        student_ids = {lesson.student_id for lesson in lessons}
        parents: dict[int, list[int]] = defaultdict(list)
        links = select(ParentLink.student_id, ParentLink.parent_id).where(
            ParentLink.student_id.in_(student_ids)
        )
        for student_id, parent_id in dbsession.execute(links):
            parents[student_id].append(parent_id)
        user_ids = student_ids | {lesson.teacher_id for lesson in lessons}
        user_ids |= {p for ids in parents.values() for p in ids}
        users = {u.id: u for u in dbsession.scalars(select(User).where(User.id.in_(user_ids)))}
        rows = dbsession.execute(
            select(*KEY, LessonReminder.sent_at).where(LessonReminder.lesson_id.in_(lesson_ids))
        )
        claims = {(row[0], row[1], row[2]): row[3] for row in rows}
        return cls(users, dict(parents), claims)

    def recipients(self, lesson: Lesson) -> list[User]:
        ids = [
            lesson.teacher_id,
            lesson.student_id,
            *sorted(self.parents.get(lesson.student_id, [])),
        ]
        found = []
        for user_id in dict.fromkeys(ids):
            user = self.users.get(user_id)
            if user is not None and user.is_active:
                found.append(user)
        return found

    def claimed(self, lesson_id: int, user_id: int, offset: int, window: dt.datetime) -> bool:
        sent_at = self.claims.get((lesson_id, user_id, offset))
        return sent_at is not None and sent_at.astimezone(dt.timezone.utc) >= window
