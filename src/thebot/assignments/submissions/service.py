"""Submissions (versioned attempts), returning work, and per-student deadline extensions.

- An assigned student submits text and/or files while the assignment is published and the
  late policy's window is open for them (``late_policy.check_window``; 409 outside it, and
  409 once closed). Attempts are numbered 1..attempts_limit and every one is kept; the new
  one counts (``counts``) unless the grader grades another version (``grading``).
- While the counted version is graded, no new attempt is accepted (409): the grader returns
  it first. Returning (only the counted version, only while attempts remain and the
  assignment is open) marks it ``returned``; its grade is kept as history but leaves the
  profile stats, and the student may submit again within the attempts limit.
- An extension (one per student and assignment) replaces that student's due date, and late
  deadline (see ``late_policy.effective_deadlines``). Granting, changing or revoking one
  re-evaluates the lateness and penalties of that student's submissions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.assignments import late_policy
from thebot.assignments.assignments.assignees import assigned_students
from thebot.assignments.assignments.service import (
    CLOSED,
    PUBLISHED,
    extension_of,
    invalid_fields,
    to_utc,
)
from thebot.assignments.events import ExtensionGranted, SubmissionReturned
from thebot.assignments.models import (
    Assignment,
    AssignmentExtension,
    AssignmentSubmission,
    AssignmentSubmissionFile,
    Grade,
    SubmissionStatus,
)
from thebot.assignments.submissions import attempts as timed_attempts
from thebot.assignments.submissions.grading import (
    GRADED,
    grade_data,
    refresh_lateness,
    update_profile_stats,
)
from thebot.errors import Conflict, Invalid, field_error
from thebot.events import record
from thebot.media.models import MediaFile
from thebot.media.service import media_payload
from thebot.schemas import iso

SUBMITTED = SubmissionStatus.SUBMITTED.value
RETURNED = SubmissionStatus.RETURNED.value
LATE = "late"  # a list filter, not a status: late submissions whatever their status
STATUS_FILTERS = (SUBMITTED, LATE, GRADED, RETURNED)
OWNER_TYPE = "assignment_submission"  # MediaFile.owner_type of submission files
MEDIA_KIND = "submission"


def attempts(
    dbsession: Session, assignment_id: int, student_id: int
) -> list[AssignmentSubmission]:
    stmt = (
        select(AssignmentSubmission)
        .where(
            AssignmentSubmission.assignment_id == assignment_id,
            AssignmentSubmission.student_id == student_id,
        )
        .order_by(AssignmentSubmission.attempt)
    )
    return list(dbsession.execute(stmt).scalars())


def _refused(exc: late_policy.SubmissionRefused) -> Conflict:
    return Conflict(str(exc), reason=exc.reason)


def check_can_submit(
    dbsession: Session, assignment: Assignment, student: User, now: dt.datetime
) -> tuple[late_policy.Lateness, list[AssignmentSubmission]]:
    """409 unless ``student`` may add an attempt now; (lateness, earlier attempts)."""
    if assignment.status == CLOSED:
        raise Conflict("This assignment is closed.", reason="closed")
    if assignment.status != PUBLISHED:
        raise Conflict("This assignment is not published.", reason="not_published")
    window = late_policy.window_of(assignment, extension_of(dbsession, assignment.id, student.id))
    try:
        late = late_policy.check_window(window, now)
    except late_policy.SubmissionRefused as exc:
        raise _refused(exc) from None
    earlier = attempts(dbsession, assignment.id, student.id)
    counted = next((s for s in earlier if s.counts), None)
    if counted is not None and counted.status == GRADED:
        raise Conflict(
            f"Attempt {counted.attempt} has been graded; your teacher must return it before "
            "you submit again.",
            reason="graded",
        )
    if len(earlier) >= assignment.attempts_limit:
        raise Conflict(
            f"You have used all {assignment.attempts_limit} attempt(s).",
            reason="attempts_exhausted",
        )
    return late, earlier


def next_attempt(earlier: Sequence[AssignmentSubmission]) -> int:
    return (earlier[-1].attempt if earlier else 0) + 1


def submit(
    dbsession: Session,
    assignment: Assignment,
    student: User,
    *,
    text: str,
    file_count: int,
    now: dt.datetime,
) -> AssignmentSubmission:
    """Add the next attempt (files are attached afterwards with ``attach_files``)."""
    if not text.strip() and file_count == 0:
        raise Invalid("text", "Send text, files, or both")
    late, earlier = check_can_submit(dbsession, assignment, student, now)
    attempt = next_attempt(earlier)
    timed_attempts.check_time_limit(dbsession, assignment, student, attempt, now)
    submission = AssignmentSubmission(
        assignment_id=assignment.id,
        student_id=student.id,
        attempt=attempt,
        text=text,
        status=SUBMITTED,
        submitted_at=now,
        is_late=late.is_late,
        lateness_seconds=late.lateness_seconds,
        counts=True,
    )
    try:
        with dbsession.begin_nested():
            dbsession.execute(
                update(AssignmentSubmission)
                .where(
                    AssignmentSubmission.assignment_id == assignment.id,
                    AssignmentSubmission.student_id == student.id,
                    AssignmentSubmission.counts.is_(True),
                )
                .values(counts=False)
                .execution_options(synchronize_session="fetch")
            )
            dbsession.add(submission)
            dbsession.flush()
    except IntegrityError:  # the same attempt number from a concurrent request
        raise Conflict(
            "Another submission was made at the same time; reload and try again."
        ) from None
    if any(s.status == RETURNED for s in earlier):
        update_profile_stats(dbsession, [student.id])
    return submission


def attach_files(
    dbsession: Session, submission: AssignmentSubmission, files: Sequence[MediaFile]
) -> None:
    for media in files:
        dbsession.add(AssignmentSubmissionFile(submission_id=submission.id, file_id=media.id))
    dbsession.flush()


def return_submission(
    dbsession: Session,
    assignment: Assignment,
    submission: AssignmentSubmission,
    reason: str = "",
) -> None:
    """Hand the counted version back so the student can submit again (409 when pointless);
    the student is told once it commits (``SubmissionReturned``)."""
    if submission.status == RETURNED:
        raise Conflict("This submission has already been returned.")
    if not submission.counts:
        raise Conflict("Only the version that counts can be returned.")
    if assignment.status != PUBLISHED:
        raise Conflict("The assignment is closed: the student could not submit again.")
    used = len(attempts(dbsession, assignment.id, submission.student_id))
    if used >= assignment.attempts_limit:
        raise Conflict(
            f"The student has used all {assignment.attempts_limit} attempt(s); raise "
            "attempts_limit to let them submit again."
        )
    was_graded = submission.status == GRADED
    submission.status = RETURNED
    submission.return_reason = reason
    dbsession.flush()
    if was_graded:
        update_profile_stats(dbsession, [submission.student_id])
    event = SubmissionReturned(
        assignment_id=assignment.id,
        submission_id=submission.id,
        student_id=submission.student_id,
        reason=reason,
    )
    record(dbsession, event)


# --- lists and representation ---------------------------------------------------------------


def in_scope(column: Any, scope: Any) -> Any:
    """``column`` restricted to a student scope (``None``: everyone)."""
    if scope is None:
        return None
    if isinstance(scope, list):
        return column.in_(scope) if len(scope) != 1 else column == scope[0]
    return column.in_(scope)


def submissions_query(
    assignment: Assignment,
    scope: Any,
    *,
    status: str | None = None,
    student_id: int | None = None,
    counts: bool | None = None,
) -> Select:
    stmt = select(AssignmentSubmission).where(AssignmentSubmission.assignment_id == assignment.id)
    restrict = in_scope(AssignmentSubmission.student_id, scope)
    if restrict is not None:
        stmt = stmt.where(restrict)
    if status == LATE:
        stmt = stmt.where(AssignmentSubmission.is_late.is_(True))
    elif status is not None:
        stmt = stmt.where(AssignmentSubmission.status == status)
    if student_id is not None:
        stmt = stmt.where(AssignmentSubmission.student_id == student_id)
    if counts is not None:
        stmt = stmt.where(AssignmentSubmission.counts.is_(counts))
    return stmt


def files_of(dbsession: Session, submission_ids: Sequence[int]) -> dict[int, list[MediaFile]]:
    found: dict[int, list[MediaFile]] = {i: [] for i in submission_ids}
    if submission_ids:
        rows = dbsession.execute(
            select(AssignmentSubmissionFile.submission_id, MediaFile)
            .join(MediaFile, MediaFile.id == AssignmentSubmissionFile.file_id)
            .where(AssignmentSubmissionFile.submission_id.in_(submission_ids))
            .order_by(AssignmentSubmissionFile.id)
        )
        for submission_id, media in rows:
            found[submission_id].append(media)
    return found


def grades_of(dbsession: Session, submission_ids: Sequence[int]) -> dict[int, Grade]:
    if not submission_ids:
        return {}
    stmt = select(Grade).where(Grade.submission_id.in_(submission_ids))
    return {g.submission_id: g for g in dbsession.execute(stmt).scalars()}


def submission_data(
    submission: AssignmentSubmission, files: list[MediaFile], grade: Grade | None
) -> dict[str, Any]:
    return {
        "id": submission.id,
        "assignment_id": submission.assignment_id,
        "student_id": submission.student_id,
        "attempt": submission.attempt,
        "return_reason": submission.return_reason,
        "text": submission.text,
        "status": submission.status,
        "submitted_at": iso(submission.submitted_at),
        "is_late": submission.is_late,
        "lateness_seconds": submission.lateness_seconds,
        "counts": submission.counts,
        "files": [media_payload(f) for f in files],
        "grade": grade_data(grade),
        "updated_at": iso(submission.updated_at),
    }


def submissions_data(dbsession: Session, rows: Sequence[AssignmentSubmission]) -> list[dict]:
    """Many submissions with their files and grades: two queries whatever their number."""
    ids = [s.id for s in rows]
    files, grades = files_of(dbsession, ids), grades_of(dbsession, ids)
    return [submission_data(s, files[s.id], grades.get(s.id)) for s in rows]


# --- extensions -----------------------------------------------------------------------------


def extensions_query(assignment: Assignment, scope: Any, student_id: int | None = None) -> Select:
    stmt = select(AssignmentExtension).where(AssignmentExtension.assignment_id == assignment.id)
    restrict = in_scope(AssignmentExtension.student_id, scope)
    if restrict is not None:
        stmt = stmt.where(restrict)
    if student_id is not None:
        stmt = stmt.where(AssignmentExtension.student_id == student_id)
    return stmt


def _reaches_student(dbsession: Session, assignment: Assignment, student_id: int) -> bool:
    assigned = assigned_students(assignment).subquery()
    submitted = exists().where(
        AssignmentSubmission.assignment_id == assignment.id,
        AssignmentSubmission.student_id == student_id,
    )
    return bool(
        dbsession.scalar(
            select(or_(exists().where(assigned.c.student_id == student_id), submitted))
        )
    )


def grant_extension(
    dbsession: Session,
    assignment: Assignment,
    actor: User,
    *,
    student_id: int,
    due_at: dt.datetime,
    late_deadline: dt.datetime | None = None,
    reason: str = "",
    now: dt.datetime,
) -> tuple[AssignmentExtension, bool]:
    """Grant or change a student's extension; (extension, created). The student is told once
    it commits (``ExtensionGranted``)."""
    if not _reaches_student(dbsession, assignment, student_id):
        raise Invalid("student_id", "Not a student of this assignment")
    errors = []
    if assignment.start_at is not None and due_at <= assignment.start_at:
        errors.append(field_error("due_at", "Must be after the assignment's start_at"))
    if late_deadline is not None:
        if not assignment.allow_late:
            errors.append(field_error("late_deadline", "The assignment takes no late work"))
        elif late_deadline <= due_at:
            errors.append(field_error("late_deadline", "Must be after due_at"))
    if errors:
        raise invalid_fields(errors)
    extension = extension_of(dbsession, assignment.id, student_id)
    created = extension is None
    if extension is None:
        extension = AssignmentExtension(
            assignment_id=assignment.id, student_id=student_id, created_at=now
        )
        dbsession.add(extension)
    extension.due_at = to_utc(due_at)
    extension.late_deadline = to_utc(late_deadline)
    extension.reason = reason
    extension.granted_by_id = actor.id
    try:
        with dbsession.begin_nested():
            dbsession.flush()
    except IntegrityError:  # a concurrent grant for the same student won
        raise Conflict("An extension for this student was just granted; reload.") from None
    refresh_lateness(dbsession, assignment, student_id)
    event = ExtensionGranted(
        assignment_id=assignment.id,
        student_id=extension.student_id,
        due_at=extension.due_at.isoformat(),
    )
    record(dbsession, event)
    return extension, created


def revoke_extension(
    dbsession: Session, assignment: Assignment, extension: AssignmentExtension
) -> None:
    student_id = extension.student_id
    dbsession.delete(extension)
    dbsession.flush()
    refresh_lateness(dbsession, assignment, student_id)
