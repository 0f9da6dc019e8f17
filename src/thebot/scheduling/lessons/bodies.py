"""The JSON of lessons and their history, for one lesson or a page: a constant number of
queries (participants, subjects, and for a tutor which students are theirs) per page.

Times are RFC 3339 in the lesson's own time zone (``2026-12-01T15:00:00+03:00`` with
``"timezone": "Europe/Moscow"``). ``notes`` are private: only the lesson's teacher, the
student's tutor and admins get them (in lessons and in history values).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.accounts.users.service import brief
from thebot.catalog.models import Subject
from thebot.catalog.subjects import subject_brief
from thebot.scheduling.lessons.visibility import notes_visible_to, tutored_students
from thebot.scheduling.models import Lesson, LessonHistory
from thebot.schemas import iso

PRIVATE_FIELDS = ("notes",)


def local_iso(value: dt.datetime | None, timezone: str) -> str | None:
    """``value`` as RFC 3339 with the offset it has in ``timezone``."""
    if value is None:
        return None
    try:
        return value.astimezone(zoneinfo.ZoneInfo(timezone)).isoformat()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return value.isoformat()


def lesson_json(
    lesson: Lesson,
    *,
    teacher: User | None,
    student: User | None,
    subject: Subject | None,
    show_notes: bool,
) -> dict[str, Any]:
    tz = lesson.timezone
    data: dict[str, Any] = {
        "id": lesson.id,
        "teacher_id": lesson.teacher_id,
        "student_id": lesson.student_id,
        "subject_id": lesson.subject_id,
        "teacher": brief(teacher) if teacher is not None else None,
        "student": brief(student) if student is not None else None,
        "subject": subject_brief(subject) if subject is not None else None,
        "start": local_iso(lesson.start_at, tz),
        "end": local_iso(lesson.end_at, tz),
        "duration_minutes": int((lesson.end_at - lesson.start_at).total_seconds() // 60),
        "timezone": tz,
        "description": lesson.description,
        "meeting_link": lesson.meeting_link,
        "status": lesson.status,
        "series_id": lesson.series_id,
        "occurrence_start": local_iso(lesson.occurrence_start, tz),
        "enrollment_override": lesson.enrollment_override,
        "sequence": lesson.sequence,
        "cancel_reason": lesson.cancel_reason,
        "created_by_id": lesson.created_by_id,
        "created_at": iso(lesson.created_at),
        "updated_at": iso(lesson.updated_at),
    }
    if show_notes:
        data["notes"] = lesson.notes
    return data


def lessons_json(
    dbsession: Session, viewer: User, lessons: Sequence[Lesson]
) -> list[dict[str, Any]]:
    """Render ``lessons`` for ``viewer`` in at most three queries, whatever their number."""
    if not lessons:
        return []
    user_ids = {i for lesson in lessons for i in (lesson.teacher_id, lesson.student_id)}
    users = {u.id: u for u in dbsession.scalars(select(User).where(User.id.in_(user_ids)))}
    subject_ids = {lesson.subject_id for lesson in lessons}
    subjects = {
        s.id: s for s in dbsession.scalars(select(Subject).where(Subject.id.in_(subject_ids)))
    }
    tutored = tutored_students(dbsession, viewer, {lesson.student_id for lesson in lessons})
    return [
        lesson_json(
            lesson,
            teacher=users.get(lesson.teacher_id),
            student=users.get(lesson.student_id),
            subject=subjects.get(lesson.subject_id),
            show_notes=notes_visible_to(viewer, lesson, tutored),
        )
        for lesson in lessons
    ]


def one_lesson_json(dbsession: Session, viewer: User, lesson: Lesson) -> dict[str, Any]:
    return lessons_json(dbsession, viewer, [lesson])[0]


def history_json(
    dbsession: Session, viewer: User, lesson: Lesson, entries: Iterable[LessonHistory]
) -> list[dict[str, Any]]:
    entries = list(entries)
    show_notes = notes_visible_to(
        viewer, lesson, tutored_students(dbsession, viewer, {lesson.student_id})
    )
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    actors = (
        {u.id: u for u in dbsession.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )

    def values(raw: dict[str, Any] | None) -> dict[str, Any]:
        raw = dict(raw or {})
        if not show_notes:
            for name in PRIVATE_FIELDS:
                raw.pop(name, None)
        return raw

    return [
        {
            "id": entry.id,
            "action": entry.action,
            "actor_id": entry.actor_id,
            "actor": brief(actors[entry.actor_id]) if entry.actor_id in actors else None,
            "old_values": values(entry.old_values),
            "new_values": values(entry.new_values),
            "created_at": iso(entry.created_at),
        }
        for entry in entries
    ]
