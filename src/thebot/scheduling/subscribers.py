"""The dashboards showing lessons go stale: subscribers of ``LessonChanged``/``SeriesChanged``
(``stale_dashboards``) and of ``PeopleChanged`` (``refresh_lesson_dashboards``).

Account writes change the ``upcoming_lessons`` dashboard section too.

Each upcoming lesson shows its teacher and student (``lesson_dashboard``), to both and to
the student's tutor and parents. When a person's names, role or active state change
(``thebot.accounts.events``), the dashboards of the other side of their upcoming lessons
go stale even when no enrollment or tutor assignment relates them (the materials subscriber
covers those). Relation changes (tutor, parent links) are covered by the materials one,
which refreshes the dashboards of everyone whose relations changed.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from thebot.accounts.events import PeopleChanged
from thebot.dashboards.cache import invalidate_dashboards_for
from thebot.db import utcnow
from thebot.events import Committing
from thebot.scheduling.events import LessonChanged, SeriesChanged
from thebot.scheduling.models import ACTIVE_STATUSES, Lesson


def stale_dashboards(committing: Committing, event: LessonChanged | SeriesChanged) -> None:
    """The teacher's dashboard, and those watching the student, show the lesson."""
    if committing.request is None:  # no request: no dashboard cache to reach
        return
    student_ids = [event.student_id] if event.student_id is not None else []
    invalidate_dashboards_for(
        committing.request, user_ids=[event.teacher_id], student_ids=student_ids
    )


def refresh_lesson_dashboards(committing: Committing, change: PeopleChanged) -> None:
    """Invalidate (after the commit) the dashboards listing a changed person's lessons."""
    if not change.changed_ids:
        return
    people = change.changed_ids
    rows = committing.dbsession.execute(
        select(Lesson.teacher_id, Lesson.student_id).where(
            or_(Lesson.teacher_id.in_(people), Lesson.student_id.in_(people)),
            Lesson.status.in_(ACTIVE_STATUSES),
            Lesson.end_at > utcnow(),
        )
    ).all()
    if rows:
        invalidate_dashboards_for(
            committing.request,
            user_ids={teacher_id for teacher_id, _ in rows},
            student_ids={student_id for _, student_id in rows},
        )
