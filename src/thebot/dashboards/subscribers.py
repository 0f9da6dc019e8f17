"""The events that make cached dashboards stale, and their subscribers (registered by
``subscribe`` from this feature's ``includeme``). Each turns a change into the dashboards
it makes stale, which the dashboard cache bumps once the transaction commits; an aborted
transaction bumps nothing.

- catalog and materials changes (``DashboardEvent``: the users named and everyone watching
  the students, materials or subjects, ``dashboard_audience``); an edited subject shows on
  every dashboard, a deleted one on its former teachers';
- students' figures (``StatsChanged``): they and their watchers;
- a restore (``DataReplaced``): every dashboard;
- account writes (``PeopleChanged``, recorded by accounts without importing this feature):

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

from collections.abc import Collection
from typing import Any

from sqlalchemy import CompoundSelect, literal, select, union_all
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.events import PeopleChanged
from thebot.catalog.events import DashboardEvent, SubjectChanged
from thebot.catalog.models import TeacherSubject
from thebot.dashboards.cache import (
    forget_every_dashboard,
    invalidate_all_dashboards,
    invalidate_dashboards,
    invalidate_dashboards_for,
)
from thebot.events import Committing, DataReplaced
from thebot.materials.events import StatsChanged
from thebot.materials.models import (
    Material,
    MaterialSubmission,
    SubmissionFeedback,
    SubmissionStatus,
)

STUDENT, USER = "student", "user"  # the kind of each row of ``shown_to``


def shown_to(dbsession: Session, user_ids: Collection[int]) -> CompoundSelect:
    """``SELECT kind, user_id``: the students whose watchers' dashboards show these people
    (``student``) and the other users whose dashboards show them (``user``)."""
    pairs = people.teaching_pairs(dbsession).subquery()
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
        for kind, user_id in committing.dbsession.execute(
            shown_to(committing.dbsession, change.changed_ids)
        ):
            (student_ids if kind == STUDENT else user_ids).add(user_id)
    # A non-student among ``student_ids`` reaches only themself (``dashboard_audience``).
    invalidate_dashboards_for(committing.request, user_ids=user_ids, student_ids=student_ids)


def stale_dashboards(committing: Committing, event: DashboardEvent) -> None:
    """The dashboards showing what changed are stale once the transaction commits."""
    if committing.request is None:  # no request: no dashboard cache to reach
        return
    if not (event.student_ids or event.material_ids or event.subject_ids):
        invalidate_dashboards(committing.request, event.users)
        return
    invalidate_dashboards_for(
        committing.request,
        user_ids=event.users,
        student_ids=event.student_ids,
        material_ids=event.material_ids,
        subject_ids=event.subject_ids,
    )


def subject_dashboards(committing: Committing, event: SubjectChanged) -> None:
    """An edit shows on every dashboard; a deleted subject only on its teachers'."""
    if committing.request is None:
        return
    if event.deleted:
        invalidate_dashboards(committing.request, event.teacher_ids)
    else:
        invalidate_all_dashboards(committing.request)


def stale_stats_dashboards(committing: Committing, event: StatsChanged) -> None:
    """Changed figures show on the students' dashboards and on their watchers'."""
    if committing.request is None:
        return
    invalidate_dashboards_for(committing.request, student_ids=list(event.student_ids))


def subscribe(config: Any) -> None:
    """Register this module's subscribers (in the transaction: the audience queries must
    see the change; the bumps themselves wait for the commit)."""
    # Every subclass of DashboardEvent (catalog and materials changes) reaches this one.
    config.add_subscriber(stale_dashboards, [Committing, DashboardEvent])
    config.add_subscriber(subject_dashboards, [Committing, SubjectChanged])
    config.add_subscriber(stale_stats_dashboards, [Committing, StatsChanged])
    config.add_subscriber(refresh_dashboards, [Committing, PeopleChanged])
    config.add_subscriber(forget_every_dashboard(config.registry), DataReplaced)
