"""Timed attempts: with ``time_limit_minutes`` a student starts an attempt first, and its
submission must arrive before start + limit (plus a short grace for the network)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.assignments.models import Assignment, AttemptStart
from thebot.errors import Conflict

GRACE = dt.timedelta(seconds=30)


def started(
    dbsession: Session, assignment_id: int, student_id: int, attempt: int
) -> AttemptStart | None:
    return dbsession.scalar(
        select(AttemptStart).where(
            AttemptStart.assignment_id == assignment_id,
            AttemptStart.student_id == student_id,
            AttemptStart.attempt == attempt,
        )
    )


def start_attempt(
    dbsession: Session, assignment: Assignment, student: User, attempt: int, now: dt.datetime
) -> tuple[AttemptStart, bool]:
    """Open ``attempt`` (idempotent: starting it again returns the same clock)."""
    if not assignment.time_limit_minutes:
        raise Conflict("This assignment has no time limit: just submit.", reason="untimed")
    existing = started(dbsession, assignment.id, student.id, attempt)
    if existing is not None:
        return existing, False
    start = AttemptStart(
        assignment_id=assignment.id,
        student_id=student.id,
        attempt=attempt,
        started_at=now,
        deadline_at=now + dt.timedelta(minutes=assignment.time_limit_minutes),
    )
    try:
        with dbsession.begin_nested():
            dbsession.add(start)
            dbsession.flush()
    except IntegrityError:  # started concurrently: the first clock wins
        first = started(dbsession, assignment.id, student.id, attempt)
        if first is None:  # pragma: no cover - the conflicting row was committed to fail us
            raise Conflict("This attempt was just started elsewhere; retry.") from None
        return first, False
    return start, True


def check_time_limit(
    dbsession: Session, assignment: Assignment, student: User, attempt: int, now: dt.datetime
) -> None:
    """409 when a timed attempt was not started, or its time is up."""
    if not assignment.time_limit_minutes:
        return
    start = started(dbsession, assignment.id, student.id, attempt)
    if start is None:
        raise Conflict(
            f"This assignment is timed ({assignment.time_limit_minutes} minutes): start the "
            "attempt first (POST .../start/).",
            reason="not_started",
        )
    if now > start.deadline_at + GRACE:
        raise Conflict(
            f"The time limit of {assignment.time_limit_minutes} minutes for attempt {attempt} "
            "has passed.",
            reason="time_limit_exceeded",
        )


def start_data(start: AttemptStart) -> dict[str, object]:
    return {
        "attempt": start.attempt,
        "started_at": start.started_at.isoformat(),
        "deadline": start.deadline_at.isoformat(),
    }
