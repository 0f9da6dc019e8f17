"""Lesson history: each change of a lesson as one ``LessonHistory`` row (old and new values)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.scheduling.models import Lesson, LessonHistory

HISTORY_FIELDS = (
    "teacher_id",
    "student_id",
    "subject_id",
    "start",
    "end",
    "timezone",
    "description",
    "notes",
    "meeting_link",
    "status",
    "series_id",
    "enrollment_override",
    "cancel_reason",
)


def value_of(lesson: Lesson, field: str) -> Any:
    """A lesson field as history stores it (JSON: date-times as UTC RFC 3339)."""
    value = getattr(lesson, {"start": "start_at", "end": "end_at"}.get(field, field))
    return value.isoformat() if isinstance(value, dt.datetime) else value


def snapshot(lesson: Lesson, fields: Iterable[str] = HISTORY_FIELDS) -> dict[str, Any]:
    return {field: value_of(lesson, field) for field in fields}


def record_history(
    dbsession: Session,
    lesson: Lesson,
    action: str,
    actor: User | None,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> LessonHistory:
    """One history row; ``actor`` ``None`` means the system (the auto-completion actor)."""
    entry = LessonHistory(
        lesson_id=lesson.id,
        action=action,
        actor_id=actor.id if actor is not None else None,
        old_values=dict(old),
        new_values=dict(new),
    )
    dbsession.add(entry)
    return entry


def history_query(lesson: Lesson) -> Any:
    return select(LessonHistory).where(LessonHistory.lesson_id == lesson.id)
