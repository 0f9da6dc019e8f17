"""Double-booking protection: no two pending/confirmed lessons of the same teacher or the same
student overlap (half-open intervals: one ending at 15:00 and one starting at 15:00 do not).

Checking and booking must be atomic under concurrency. ``lock_participants`` serialises every
booking that involves the same teacher or student: on PostgreSQL by row locks on their
``user_account`` rows (``SELECT ... FOR UPDATE`` in id order, so two bookings never
deadlock); on SQLite the request's ``BEGIN IMMEDIATE`` already holds the database write lock
(see ``thebot.db``), so check-then-insert cannot interleave. Call it before
``find_conflicts`` and keep the transaction open until the lesson is inserted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson


def lock_participants(dbsession: Session, user_ids: Iterable[int]) -> None:
    """Hold the booking lock of each participant until the transaction ends."""
    ids = sorted(set(user_ids))
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.execute(
            select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update()
        )


def find_conflicts(
    dbsession: Session,
    *,
    teacher_id: int,
    student_id: int,
    start: dt.datetime,
    end: dt.datetime,
    exclude_ids: Iterable[int] = (),
) -> list[Lesson]:
    """Active lessons of the teacher or the student overlapping ``[start, end)``."""
    stmt = (
        select(Lesson)
        .where(
            Lesson.status.in_(ACTIVE_STATUSES),
            or_(Lesson.teacher_id == teacher_id, Lesson.student_id == student_id),
            Lesson.start_at < end,
            Lesson.end_at > start,
        )
        .order_by(Lesson.start_at, Lesson.id)
    )
    excluded = list(exclude_ids)
    if excluded:
        stmt = stmt.where(Lesson.id.not_in(excluded))
    return list(dbsession.scalars(stmt))


def conflict_payload(lesson: Lesson) -> dict[str, object]:
    """How a conflicting lesson is listed in a 409 body (no private notes)."""
    return {
        "id": lesson.id,
        "teacher_id": lesson.teacher_id,
        "student_id": lesson.student_id,
        "start": lesson.start_at.isoformat(),
        "end": lesson.end_at.isoformat(),
        "status": lesson.status,
    }
