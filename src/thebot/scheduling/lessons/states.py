"""The lesson status machine: confirm, cancel, complete, and the automatic completion.

``pending -> confirmed | cancelled``, ``confirmed -> completed | cancelled``; ``completed``
and ``cancelled`` are final. An illegal transition is a 409 naming the current status
(``current_status`` in the body). Every transition bumps ``sequence`` and writes history
(action = the new status; ``old_values``/``new_values`` hold the status, and the reason of a
cancellation) and records ``LessonChanged`` (``service.announce``; a cancellation is told to
the people concerned). Who may do each: ``thebot.scheduling.lessons.service``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import Conflict, Forbidden
from thebot.scheduling import rules
from thebot.scheduling.lessons.service import (
    CANCELLED,
    COMPLETED,
    COMPLETERS,
    CONFIRMED,
    CONFIRMERS,
    MANAGERS,
    PENDING,
    announce,
    bump,
    lock,
    record_history,
    require,
)
from thebot.scheduling.models import Lesson

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({CONFIRMED, CANCELLED}),
    CONFIRMED: frozenset({COMPLETED, CANCELLED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}
VERBS = {CONFIRMED: "confirm", CANCELLED: "cancel", COMPLETED: "complete"}


def require_status(lesson: Lesson, target: str) -> None:
    if target not in TRANSITIONS[lesson.status]:
        raise Conflict(
            f"Cannot {VERBS[target]} a lesson that is {lesson.status}.",
            current_status=lesson.status,
        )


def _set_status(
    dbsession: Session, actor: User | None, lesson: Lesson, status: str, **extra: Any
) -> None:
    old = {"status": lesson.status, **{k: getattr(lesson, k) for k in extra}}
    lesson.status = status
    for name, value in extra.items():
        setattr(lesson, name, value)
    bump(lesson)
    record_history(dbsession, lesson, status, actor, old, {"status": status, **extra})
    dbsession.flush()


def confirm(dbsession: Session, actor: User, lesson: Lesson) -> None:
    require(dbsession, actor, lesson, CONFIRMERS)
    lock(dbsession, lesson)
    require_status(lesson, CONFIRMED)
    _set_status(dbsession, actor, lesson, CONFIRMED)
    announce(dbsession, lesson, actor=actor)


def cancel(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    lesson: Lesson,
    now: dt.datetime,
    reason: str = "",
    *,
    event: bool = True,
) -> None:
    """``event`` False: the caller records one event for many lessons (a series change)."""
    require(dbsession, actor, lesson, MANAGERS)
    lock(dbsession, lesson)
    require_status(lesson, CANCELLED)
    if not rules.can_cancel(actor, lesson, now, settings):
        hours = rules.setting(settings, "lesson_cancel_notice_hours")
        raise Forbidden(
            f"Lessons can be cancelled up to {hours} hour{'s' if hours != 1 else ''} before "
            "they start; ask an admin to cancel this one.",
        )
    _set_status(dbsession, actor, lesson, CANCELLED, cancel_reason=reason)
    if event:
        announce(dbsession, lesson, CANCELLED, actor=actor)


def complete(dbsession: Session, actor: User, lesson: Lesson, now: dt.datetime) -> None:
    require(dbsession, actor, lesson, COMPLETERS)
    lock(dbsession, lesson)
    require_status(lesson, COMPLETED)
    if lesson.start_at > now:
        raise Conflict(
            "A lesson can be completed once it has started.", current_status=lesson.status
        )
    _set_status(dbsession, actor, lesson, COMPLETED)
    announce(dbsession, lesson, actor=actor)


def complete_finished_lessons(dbsession: Session, now: dt.datetime, *, batch: int = 500) -> int:
    """Mark lessons that ended while confirmed completed (history actor: the system; each
    records ``LessonChanged``).

    Rows another transaction holds (a concurrent cancel) are skipped on PostgreSQL and
    picked up by the next run.
    """
    done = 0
    while True:
        stmt = (
            select(Lesson)
            .where(Lesson.status == CONFIRMED, Lesson.end_at <= now)
            .order_by(Lesson.end_at, Lesson.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        lessons = list(dbsession.scalars(stmt))
        for lesson in lessons:
            _set_status(dbsession, None, lesson, COMPLETED)
            announce(dbsession, lesson)
        done += len(lessons)
        if len(lessons) < batch:
            return done
