"""What happens to materials, progress, submissions and comments, as domain events (see
``thebot.events``), and this feature's notification subscribers: the people concerned hear
of a review or a comment. Dashboards subscribe in ``thebot.dashboards.subscribers``; the
stats refresh in ``thebot.materials.progress.subscribers``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thebot.accounts.models import User
from thebot.catalog.events import DashboardEvent
from thebot.events import Committing, DomainEvent
from thebot.materials.models import (
    Material,
    MaterialComment,
    SubmissionFeedback,
    SubmissionStatus,
)
from thebot.notifications.service import notify


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
class StatsChanged(DomainEvent):
    """These students' profile figures (progress, points) changed: their dashboards and
    their watchers' are stale."""

    name = "student.stats_changed"
    student_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.student_ids


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
    config.add_subscriber(tell_student_of_review, [Committing, SubmissionReviewed])
    config.add_subscriber(tell_about_comment, [Committing, CommentPosted])
