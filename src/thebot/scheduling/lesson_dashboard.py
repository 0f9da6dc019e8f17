"""The ``upcoming_lessons`` section of the student, teacher, tutor and parent dashboards.

The lessons the user may see (``lesson_visibility``) that are pending or confirmed and have
not ended yet (one in progress is still listed), soonest first: the next ``UPCOMING_LIMIT``
with their people and subject, and how many there are in all. Two queries whatever the
number of lessons. Lesson writes invalidate the cached dashboards (``lesson_views``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from thebot.accounts.models import Role, User
from thebot.accounts.service import brief
from thebot.materials.dashboards import DashboardContext, register_section
from thebot.materials.models import Subject
from thebot.materials.subjects import subject_brief
from thebot.scheduling.lesson_data import local_iso
from thebot.scheduling.lesson_visibility import visible_lessons_clause
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson

UPCOMING_LIMIT = 10
SECTION = "upcoming_lessons"


def upcoming_lessons(ctx: DashboardContext) -> dict[str, Any]:
    where = (
        visible_lessons_clause(ctx.user),
        Lesson.status.in_(ACTIVE_STATUSES),
        Lesson.end_at > ctx.now,
    )
    total = ctx.dbsession.scalar(select(func.count(Lesson.id)).where(*where))
    teacher, student = aliased(User), aliased(User)
    rows = ctx.dbsession.execute(
        select(Lesson, Subject, teacher, student)
        .join(Subject, Subject.id == Lesson.subject_id)
        .join(teacher, teacher.id == Lesson.teacher_id)
        .join(student, student.id == Lesson.student_id)
        .where(*where)
        .order_by(Lesson.start_at, Lesson.id)
        .limit(UPCOMING_LIMIT)
    ).all()
    return {
        "count": total or 0,
        "items": [
            {
                "id": lesson.id,
                "start": local_iso(lesson.start_at, lesson.timezone),
                "end": local_iso(lesson.end_at, lesson.timezone),
                "timezone": lesson.timezone,
                "status": lesson.status,
                "subject": subject_brief(subject),
                "teacher": brief(by),
                "student": brief(learner),
                "meeting_link": lesson.meeting_link,
            }
            for lesson, subject, by, learner in rows
        ],
    }


for _role in (Role.STUDENT, Role.TEACHER, Role.TUTOR, Role.PARENT):
    register_section(_role.value, SECTION, upcoming_lessons, order=5)
