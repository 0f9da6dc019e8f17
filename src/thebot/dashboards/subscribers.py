"""Account writes that change cached dashboards: a ``PeopleChanged`` subscriber.

Accounts records people changes (``thebot.accounts.events``) without importing this
feature; this subscriber turns each change into the dashboards it makes stale, which the
dashboard cache bumps once the transaction commits:

- a student whose tutor or parent links changed: they and everyone watching them now (their
  parents, tutor and teachers, ``dashboard_audience``), plus the people who were related
  before (a former tutor, an unlinked parent);
- a person whose names, role or active state changed: they, and everyone whose dashboard
  shows them: the watchers of the students they are or teach (tutor and parent cards list a
  student's subjects with their teachers), the students they gave feedback to, and the
  reviewers of their submissions waiting for review.

Other features showing people on a dashboard subscribe too (lessons:
``thebot.scheduling.subscribers``).
"""

from __future__ import annotations

from sqlalchemy import Select, literal, select, union_all

from thebot.accounts.events import PeopleChanged
from thebot.accounts.relationships import visibility as people
from thebot.catalog.models import TeacherSubject
from thebot.dashboards.cache import invalidate_dashboards_for
from thebot.events import Committing
from thebot.materials.models import (
    Material,
    MaterialSubmission,
    SubmissionFeedback,
    SubmissionStatus,
)

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


def refresh_dashboards(committing: Committing, change: PeopleChanged) -> None:
    """Invalidate (after the commit) every dashboard ``change`` makes stale."""
    student_ids = {*change.student_ids, *change.changed_ids}
    user_ids = set(change.related_ids)
    if change.changed_ids:
        for kind, user_id in committing.dbsession.execute(shown_to(change.changed_ids)):
            (student_ids if kind == STUDENT else user_ids).add(user_id)
    # A non-student among ``student_ids`` reaches only themself (``dashboard_audience``).
    invalidate_dashboards_for(committing.request, user_ids=user_ids, student_ids=student_ids)
