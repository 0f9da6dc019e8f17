"""Account writes that change cached dashboards: the ``dashboards`` people listener.

Accounts reports people changes (``thebot.accounts.changes``) without importing this
feature; this listener turns each change into the dashboards it makes stale, which the
dashboard cache bumps once the transaction commits:

- a student whose tutor or parent links changed: they and everyone watching them now (their
  parents, tutor and teachers, ``dashboard_audience``), plus the people who were related
  before (a former tutor, an unlinked parent);
- a person whose names, role or active state changed: they, and everyone whose dashboard
  shows them: the watchers of the students they are or teach (tutor and parent cards list a
  student's subjects with their teachers), the students they gave feedback to, and the
  reviewers of their submissions waiting for review.

Other features showing people on a dashboard register their own listener (lessons:
``thebot.scheduling.account_hooks``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal, select, union_all

from thebot.accounts import visibility as people
from thebot.accounts.changes import PeopleChange, register_people_listener
from thebot.materials.dashboard_cache import invalidate_dashboards_for
from thebot.materials.models import (
    Material,
    MaterialSubmission,
    SubmissionFeedback,
    SubmissionStatus,
    TeacherSubject,
)

LISTENER = "dashboards"
STUDENT, USER = "student", "user"  # the kind of each row of ``shown_to``


def shown_to(user_ids: frozenset[int]) -> Select:
    """``SELECT kind, user_id``: the students whose watchers' dashboards show these people
    (``student``) and the other users whose dashboards show them (``user``)."""
    pairs = people.teaching_pairs().subquery()
    pending = select(MaterialSubmission.material_id).where(
        MaterialSubmission.student_id.in_(user_ids),
        MaterialSubmission.status == SubmissionStatus.SUBMITTED.value,
    )
    return union_all(
        select(literal(STUDENT).label("kind"), pairs.c.student_id.label("user_id")).where(
            pairs.c.teacher_id.in_(user_ids)
        ),
        select(literal(STUDENT), MaterialSubmission.student_id)
        .join(SubmissionFeedback, SubmissionFeedback.submission_id == MaterialSubmission.id)
        .where(SubmissionFeedback.teacher_id.in_(user_ids)),
        select(literal(USER), Material.author_id).where(
            Material.id.in_(pending), Material.deleted_at.is_(None)
        ),
        select(literal(USER), TeacherSubject.teacher_id).where(
            TeacherSubject.is_active.is_(True),
            TeacherSubject.subject_id.in_(
                select(Material.subject_id).where(
                    Material.id.in_(pending), Material.deleted_at.is_(None)
                )
            ),
        ),
    )


def refresh_dashboards(request: Any, change: PeopleChange) -> None:
    """Invalidate (after the commit) every dashboard ``change`` makes stale."""
    student_ids = set(change.student_ids | change.user_ids)
    user_ids = set(change.related_ids)
    if change.user_ids:
        for kind, user_id in request.dbsession.execute(shown_to(change.user_ids)):
            (student_ids if kind == STUDENT else user_ids).add(user_id)
    # A non-student among ``student_ids`` reaches only themself (``dashboard_audience``).
    invalidate_dashboards_for(request, user_ids=user_ids, student_ids=student_ids)


register_people_listener(LISTENER, refresh_dashboards)
