"""What happens to assignments and their submissions, as domain events (see
``thebot.events``), and this feature's subscribers: who is told, and what they read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from thebot.accounts import visibility as people
from thebot.accounts.models import User
from thebot.assignments.late_policy import score_text
from thebot.assignments.models import Assignment
from thebot.events import Committing, DomainEvent
from thebot.notifications.service import notify


@dataclass(frozen=True)
class AssignmentPublished(DomainEvent):
    """An assignment reached students: published, or students added to a published one."""

    name = "assignment.published"
    assignment_id: int = 0
    student_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.student_ids


@dataclass(frozen=True)
class AssignmentRescheduled(DomainEvent):
    """The dates or the late policy of an assignment with submissions changed: their lateness
    and penalties follow (``submissions.grading.relate_lateness``, in the transaction)."""

    name = "assignment.rescheduled"
    assignment_id: int = 0


@dataclass(frozen=True)
class _SubmissionEvent(DomainEvent):
    assignment_id: int = 0
    submission_id: int = 0
    student_id: int = 0

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.student_id,)


@dataclass(frozen=True)
class SubmissionGraded(_SubmissionEvent):
    """A submission was graded (``final_score``: as shown, penalty applied)."""

    name = "assignment_submission.graded"
    final_score: str = ""


@dataclass(frozen=True)
class SubmissionReturned(_SubmissionEvent):
    """A submission was returned to the student for another attempt."""

    name = "assignment_submission.returned"
    reason: str = ""


@dataclass(frozen=True)
class ExtensionGranted(DomainEvent):
    """A student got their own due date (``due_at``: ISO 8601)."""

    name = "assignment_extension.granted"
    assignment_id: int = 0
    student_id: int = 0
    due_at: str = ""

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.student_id,)


# --- subscribers --------------------------------------------------------------------------


def _parents(dbsession: Any, student_id: int) -> list[User]:
    stmt = (
        select(User)
        .where(User.id.in_(people.parents_of(student_id)), User.is_active.is_(True))
        .order_by(User.id)
    )
    return list(dbsession.execute(stmt).scalars())


def tell_assigned(committing: Committing, event: AssignmentPublished) -> None:
    """Students hear of a published assignment (emails leave after the commit)."""
    dbsession = committing.dbsession
    assignment = dbsession.get(Assignment, event.assignment_id)
    if assignment is None:
        return
    for student_id in event.student_ids:
        student = dbsession.get(User, student_id)
        if student is None:
            continue
        notify(
            committing.request,
            student,
            "assignments.published",
            f"New assignment: {assignment.title}",
            f"Due {assignment.due_at.isoformat()}.",
            data={"assignment_id": assignment.id},
        )


def tell_graded(committing: Committing, event: SubmissionGraded) -> None:
    """The student and their parents hear of the grade."""
    dbsession = committing.dbsession
    assignment = dbsession.get(Assignment, event.assignment_id)
    student = dbsession.get(User, event.student_id)
    if assignment is None or student is None:
        return
    final = f"{event.final_score} / {score_text(assignment.max_score)}"
    data = {"assignment_id": assignment.id, "submission_id": event.submission_id}
    notify(
        committing.request,
        student,
        "assignments.graded",
        f"Graded: {assignment.title}",
        f"Your score: {final}.",
        data=data,
    )
    for parent in _parents(dbsession, student.id):
        notify(
            committing.request,
            parent,
            "assignments.graded",
            f"{student.full_name} was graded: {assignment.title}",
            f"Score: {final}.",
            data={**data, "student_id": student.id},
        )


def _tell_student(
    committing: Committing, event: Any, category: str, title: str, body: str, **data: Any
) -> None:
    """Notify the event's student about its assignment (gone: nobody to tell)."""
    dbsession = committing.dbsession
    assignment = dbsession.get(Assignment, event.assignment_id)
    student = dbsession.get(User, event.student_id)
    if assignment is None or student is None:
        return
    notify(
        committing.request,
        student,
        category,
        f"{title}: {assignment.title}",
        body,
        data={"assignment_id": assignment.id, **data},
    )


def tell_returned(committing: Committing, event: SubmissionReturned) -> None:
    """The student hears that the submission came back, and why."""
    _tell_student(
        committing,
        event,
        "assignments.returned",
        "Returned for another attempt",
        event.reason,
        submission_id=event.submission_id,
    )


def tell_extension(committing: Committing, event: ExtensionGranted) -> None:
    """The student hears of their new due date."""
    _tell_student(
        committing, event, "assignments.extension", "New due date", f"Due {event.due_at}."
    )


def includeme(config: Any) -> None:
    config.add_subscriber(tell_assigned, [Committing, AssignmentPublished])
    config.add_subscriber(tell_graded, [Committing, SubmissionGraded])
    config.add_subscriber(tell_returned, [Committing, SubmissionReturned])
    config.add_subscriber(tell_extension, [Committing, ExtensionGranted])
