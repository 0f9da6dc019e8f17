"""The ``upcoming_lessons`` section of the student, teacher, tutor and parent dashboards.

The lessons the user may see (``lesson_visibility``) that are pending or confirmed and have
not ended yet (one in progress is still listed), soonest first: the next ``UPCOMING_LIMIT``
with their people and subject, and how many there are in all (a window count over every
match, before the limit). One query whatever the number of lessons. Lesson changes make
the cached dashboards stale (``LessonChanged`` subscribers).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from thebot.accounts.models import Role
from thebot.accounts.users.service import BRIEF_FIELDS
from thebot.catalog.models import Subject
from thebot.catalog.subjects import SUBJECT_BRIEF_FIELDS
from thebot.dashboards.registry import (
    VIEWER,
    DashboardContext,
    Student,
    Teacher,
    viewer_params,
)
from thebot.db.rows import Layout
from thebot.scheduling.lessons.bodies import local_iso
from thebot.scheduling.lessons.visibility import visible_to_role
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson

UPCOMING_LIMIT = 10
SECTION = "upcoming_lessons"
UPCOMING = Layout(
    subject=(Subject, SUBJECT_BRIEF_FIELDS),
    teacher=(Teacher, BRIEF_FIELDS),
    student=(Student, BRIEF_FIELDS),
)


@functools.cache  # one per role
def statement(role: str) -> Select:
    """The first lessons for a ``role``, each row with the number of them all, with the
    viewer's id and the time as parameters (``viewer_id``, ``now``): built and cached once,
    not at every request."""
    return (
        select(
            *UPCOMING.columns,
            Lesson.id,
            Lesson.start_at,
            Lesson.end_at,
            Lesson.timezone,
            Lesson.status,
            Lesson.meeting_link,
            func.count().over().label("total"),
        )
        .select_from(Lesson)
        .join(Subject, Subject.id == Lesson.subject_id)
        .join(Teacher, Teacher.id == Lesson.teacher_id)
        .join(Student, Student.id == Lesson.student_id)
        .where(
            visible_to_role(role, VIEWER),
            Lesson.status.in_(ACTIVE_STATUSES),
            Lesson.end_at > bindparam("now"),
        )
        .order_by(Lesson.start_at, Lesson.id)
        .limit(UPCOMING_LIMIT)
    )


def upcoming_lessons(ctx: DashboardContext) -> dict[str, Any]:
    if not ctx.user.is_active:
        return {"count": 0, "items": []}
    rows = ctx.rows(statement(ctx.user.role), viewer_params(ctx, now=ctx.now)).all()
    return {
        "count": rows[0].total if rows else 0,
        "items": [
            {
                "id": row.id,
                "start": local_iso(row.start_at, row.timezone),
                "end": local_iso(row.end_at, row.timezone),
                "timezone": row.timezone,
                "status": row.status,
                "subject": UPCOMING.part(row, "subject"),
                "teacher": UPCOMING.part(row, "teacher"),
                "student": UPCOMING.part(row, "student"),
                "meeting_link": row.meeting_link,
            }
            for row in rows
        ],
    }


def includeme(config: Any) -> None:
    for role in (Role.STUDENT, Role.TEACHER, Role.TUTOR, Role.PARENT):
        config.add_dashboard_section(role.value, SECTION, upcoming_lessons, order=5)
