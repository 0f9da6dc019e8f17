"""Lesson changes: PATCH (description, notes, meeting link) and rescheduling.

Both are for those who manage the lesson (``service.MANAGERS``), only before it starts and
while it is pending or confirmed; each change is a history row and a ``LessonChanged`` event
(``service.announce``; a move is told to the people concerned).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import Invalid
from thebot.scheduling import rules
from thebot.scheduling.conflicts import find_conflicts, lock_participants
from thebot.scheduling.lessons.service import (
    MANAGERS,
    RESCHEDULED,
    announce,
    bump,
    conflict_problem,
    load_participants,
    lock,
    record_history,
    require,
    require_editable,
    snapshot,
)
from thebot.scheduling.models import Lesson

EDITABLE = ("description", "notes", "meeting_link")
CALENDAR_FIELDS = frozenset({"start", "end", "timezone", "description", "meeting_link", "status"})


def update_lesson(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    lesson: Lesson,
    changes: Mapping[str, Any],
    now: dt.datetime,
    *,
    event: bool = True,
) -> list[str]:
    """PATCH: description, notes, meeting link. Returns the fields that changed.

    ``event`` False: the caller records one event for many lessons (a series change)."""
    require(dbsession, actor, lesson, MANAGERS)
    lock(dbsession, lesson)
    require_editable(lesson, now)
    link = changes.get("meeting_link")
    if link:
        problem = rules.meeting_link_error(link, rules.setting(settings, "meeting_link_hosts"))
        if problem:
            raise Invalid("meeting_link", problem)
    old, new = {}, {}
    for field in EDITABLE:
        if field not in changes:
            continue
        value = (changes[field] or None) if field == "meeting_link" else changes[field]
        if getattr(lesson, field) != value:
            old[field], new[field] = getattr(lesson, field), value
            setattr(lesson, field, value)
    if new:
        if CALENDAR_FIELDS & new.keys():
            bump(lesson)
        record_history(dbsession, lesson, "updated", actor, old, new)
        dbsession.flush()
        if event:
            announce(dbsession, lesson, actor=actor)
    return sorted(new)


def reschedule(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    lesson: Lesson,
    *,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str | None,
    now: dt.datetime,
    event: bool = True,
) -> dict[str, Any]:
    """Move the lesson (same rules as booking, conflicts excluding itself).

    Returns the old times (empty when nothing moved). ``event`` False: the caller records
    the event (a series change).
    """
    require(dbsession, actor, lesson, MANAGERS)
    lock(dbsession, lesson)
    require_editable(lesson, now)
    timezone = timezone or lesson.timezone
    teacher, student = load_participants(dbsession, lesson.teacher_id, lesson.student_id)
    rules.validate_slot(
        dbsession,
        settings,
        actor=actor,
        teacher=teacher,
        student=student,
        subject_id=lesson.subject_id,
        start=start,
        end=end,
        timezone=timezone,
        meeting_link=None,  # unchanged, checked when it was set
        now=now,
        require_enrollment=not lesson.enrollment_override,
    )
    if (lesson.start_at, lesson.end_at, lesson.timezone) == (start, end, timezone):
        return {}
    lock_participants(dbsession, [lesson.teacher_id, lesson.student_id])
    conflicts = find_conflicts(
        dbsession,
        teacher_id=lesson.teacher_id,
        student_id=lesson.student_id,
        start=start,
        end=end,
        exclude_ids=[lesson.id],
    )
    if conflicts:
        raise conflict_problem(conflicts)
    fields = ("start", "end", "timezone")
    old = snapshot(lesson, fields)
    lesson.start_at, lesson.end_at, lesson.timezone = start, end, timezone
    bump(lesson)
    record_history(dbsession, lesson, "rescheduled", actor, old, snapshot(lesson, fields))
    dbsession.flush()
    if event:
        announce(dbsession, lesson, RESCHEDULED, actor=actor, old=old)
    return old
