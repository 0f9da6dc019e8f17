"""What happens to subjects, enrollments, materials, progress, submissions and comments, as
domain events (see ``thebot.events``), and this feature's subscribers: dashboards showing the
change go stale, and the people concerned are notified."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thebot.accounts.models import User
from thebot.dashboards.cache import (
    invalidate_all_dashboards,
    invalidate_dashboards,
    invalidate_dashboards_for,
)
from thebot.events import Committing, DomainEvent
from thebot.materials import progress
from thebot.materials.materials import service as materials
from thebot.materials.models import (
    Material,
    MaterialComment,
    SubmissionFeedback,
    SubmissionStatus,
)
from thebot.notifications.service import notify


@dataclass(frozen=True)
class DashboardEvent(DomainEvent):
    """A change shown on dashboards: those of ``user_ids`` and of everyone watching
    ``student_ids``, ``material_ids`` or ``subject_ids`` (see ``dashboard_audience``)."""

    users: tuple[int, ...] = ()
    student_ids: tuple[int, ...] = ()
    material_ids: tuple[int, ...] = ()
    subject_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(sorted({*self.users, *self.student_ids}))


@dataclass(frozen=True)
class MaterialChanged(DashboardEvent):
    """A material was created, edited or deleted; ``reach``: what it counts for changed
    (status, subject, points...), so the stats of the students it reaches are stale."""

    name = "material.changed"
    reach: bool = False


@dataclass(frozen=True)
class MaterialAssigned(DashboardEvent):
    name = "material.assigned"


@dataclass(frozen=True)
class ProgressRecorded(DashboardEvent):
    name = "material.progress_recorded"


@dataclass(frozen=True)
class EnrollmentChanged(DashboardEvent):
    """An enrollment was created or changed (``users``: its teachers, before and after)."""

    name = "enrollment.changed"
    enrollment_id: int = 0


@dataclass(frozen=True)
class TeacherAssignmentChanged(DashboardEvent):
    """A teacher was assigned to a subject, or their assignment (de)activated."""

    name = "subject_teacher.changed"
    subject_id: int = 0


@dataclass(frozen=True)
class SubjectChanged(DomainEvent):
    """A subject was edited (its name and colour show on every dashboard) or deleted
    (``teacher_ids``: the teachers it had)."""

    name = "subject.changed"
    subject_id: int = 0
    deleted: bool = False
    teacher_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.teacher_ids


@dataclass(frozen=True)
class SubmissionMade(DashboardEvent):
    name = "material_submission.submitted"


@dataclass(frozen=True)
class SubmissionReviewed(DashboardEvent):
    """A teacher graded a homework submission (``status`` ``returned``: try again)."""

    name = "material_submission.reviewed"
    submission_id: int = 0
    feedback_id: int = 0
    grade: int = 0
    status: str = ""


@dataclass(frozen=True)
class CommentPosted(DomainEvent):
    name = "material_comment.posted"
    material_id: int = 0
    comment_id: int = 0
    author_id: int | None = None
    parent_id: int | None = None

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.author_id,) if self.author_id is not None else ()


# --- subscribers --------------------------------------------------------------------------


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


def refresh_reached_stats(
    committing: Committing, event: MaterialChanged | MaterialAssigned
) -> None:
    """Students' ``progress_percent`` and ``points`` follow what materials count for."""
    dbsession = committing.dbsession
    if isinstance(event, MaterialAssigned):
        progress.refresh_student_stats(dbsession, event.student_ids)
        return
    if not getattr(event, "reach", False):
        return
    for material_id in event.material_ids:
        material = dbsession.get(Material, material_id)
        if material is not None:
            reached = materials.reached_students(dbsession, material, event.subject_ids)
            progress.refresh_student_stats(dbsession, reached)


def stale_stats_dashboards(committing: Committing, event: progress.StatsChanged) -> None:
    """Changed figures show on the students' dashboards and on their watchers'."""
    invalidate_dashboards_for(committing.request, student_ids=list(event.student_ids))


def tell_student_of_review(committing: Committing, event: SubmissionReviewed) -> None:
    """The student hears of the grade (and whether the work came back for another try)."""
    dbsession = committing.dbsession
    student = dbsession.get(User, event.student_ids[0]) if event.student_ids else None
    material = dbsession.get(Material, event.material_ids[0]) if event.material_ids else None
    review = dbsession.get(SubmissionFeedback, event.feedback_id)
    if student is None or material is None or review is None:
        return
    returned = event.status == SubmissionStatus.RETURNED.value
    notify(
        committing.request,
        student,
        "materials.feedback",
        f"Feedback on “{material.title}”: {event.grade}/5"
        + (" — returned for another try" if returned else ""),
        review.text,
        data={
            "material_id": material.id,
            "submission_id": event.submission_id,
            "feedback_id": event.feedback_id,
            "grade": event.grade,
            "status": event.status,
        },
    )


def tell_about_comment(committing: Committing, event: CommentPosted) -> None:
    """The author of the comment answered (or, for a new thread, of the material) hears of it."""
    dbsession = committing.dbsession
    material = dbsession.get(Material, event.material_id)
    new = dbsession.get(MaterialComment, event.comment_id)
    if material is None or new is None:
        return
    if new.parent_id is not None:
        parent = dbsession.get(MaterialComment, new.parent_id)
        recipient_id, kind = (parent.author_id if parent else None), "materials.comment_reply"
        title = f"New reply to your comment on “{material.title}”"
    else:
        recipient_id, kind = material.author_id, "materials.comment"
        title = f"New comment on “{material.title}”"
    if recipient_id is None or recipient_id == new.author_id:
        return
    recipient = dbsession.get(User, recipient_id)
    if recipient is not None:
        notify(
            committing.request,
            recipient,
            kind,
            title,
            new.body[:500],
            data={"material_id": material.id, "comment_id": new.id},
        )


def includeme(config: Any) -> None:
    dashboard_events = [
        MaterialChanged,
        MaterialAssigned,
        ProgressRecorded,
        EnrollmentChanged,
        TeacherAssignmentChanged,
        SubmissionMade,
        SubmissionReviewed,
    ]
    # Stats first: a dashboard computed after the bump must see the new figures (the bump
    # itself happens after commit, so the order is for readers, not for correctness).
    config.add_subscriber(refresh_reached_stats, [Committing, MaterialChanged])
    config.add_subscriber(refresh_reached_stats, [Committing, MaterialAssigned])
    for kind in dashboard_events:
        config.add_subscriber(stale_dashboards, [Committing, kind])
    config.add_subscriber(subject_dashboards, [Committing, SubjectChanged])
    config.add_subscriber(stale_stats_dashboards, [Committing, progress.StatsChanged])
    config.add_subscriber(tell_student_of_review, [Committing, SubmissionReviewed])
    config.add_subscriber(tell_about_comment, [Committing, CommentPosted])
