"""Grading: raw score (or rubric points), the late penalty, the final score; profile stats.

- Without a rubric the grader sends ``score`` (0..max_score). With a rubric they send
  ``rubric_scores`` for every criterion (0..its max_points each); the raw score is their sum,
  which may not exceed max_score. Sending the other one is a 400, so nobody wonders which
  of the two counted.
- The late penalty comes from ``late_policy`` and the submission's lateness; the grade keeps
  raw score, penalty and final score apart.
- Grading a version makes it the counted one (``counts``); grading again replaces the grade.
- Student profile stats, over the student's counted graded submissions (status ``graded``):
  their share of ``points`` = the sum of final scores, rounded half up to an integer, added
  to the progress points (a points source of ``thebot.materials.progress``);
  ``accuracy_percent`` = the mean of final_score / max_score, as a percentage rounded half
  up (0 when none). A change invalidates the dashboards that show the student.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.assignments import late_policy
from thebot.assignments.assignments.rubrics import rubrics
from thebot.assignments.assignments.service import (
    DRAFT,
    invalid_fields,
)
from thebot.assignments.events import AssignmentRescheduled, SubmissionGraded
from thebot.assignments.models import (
    Assignment,
    AssignmentExtension,
    AssignmentSubmission,
    Grade,
    SubmissionStatus,
)
from thebot.errors import Conflict, Invalid, field_error
from thebot.events import Committing, record
from thebot.materials.progress.service import lock_profiles, refresh_student_stats

GRADED = SubmissionStatus.GRADED.value
ZERO = Decimal(0)


def raw_score_of(
    assignment: Assignment,
    criteria: list[Any],
    score: Decimal | None,
    rubric_scores: dict[int, Decimal] | None,
) -> tuple[Decimal, dict[str, str]]:
    """(raw score, rubric points to store) after checking the bounds (400 listing problems)."""
    max_score = Decimal(assignment.max_score)
    if not criteria:
        if rubric_scores is not None:
            raise Invalid("rubric_scores", "This assignment has no rubric")
        if score is None:
            raise Invalid("score", "Required: a score from 0 to max_score")
        if score < 0 or score > max_score:
            raise Invalid("score", f"Must be between 0 and {max_score}")
        return late_policy.cents(score), {}
    if score is not None:
        raise Invalid("score", "The score is the sum of the rubric points: send rubric_scores")
    if rubric_scores is None:
        raise Invalid("rubric_scores", "Required: points for every criterion")
    by_id = {c.id: c for c in criteria}
    errors = [
        field_error(f"rubric_scores.{cid}", "Not a criterion of this assignment")
        for cid in sorted(set(rubric_scores) - set(by_id))
    ]
    errors += [
        field_error(f"rubric_scores.{cid}", "Missing: points for this criterion")
        for cid in sorted(set(by_id) - set(rubric_scores))
    ]
    for cid, points in sorted(rubric_scores.items()):
        criterion = by_id.get(cid)
        if criterion is not None and (points < 0 or points > criterion.max_points):
            errors.append(
                field_error(
                    f"rubric_scores.{cid}",
                    f"Must be between 0 and {late_policy.cents(criterion.max_points)}",
                )
            )
    if errors:
        raise invalid_fields(errors)
    total = sum(rubric_scores.values(), ZERO)
    if total > max_score:
        raise Invalid("rubric_scores", f"The points add up to {total}, more than {max_score}")
    stored = {str(cid): str(late_policy.cents(p)) for cid, p in sorted(rubric_scores.items())}
    return late_policy.cents(total), stored


def grade_submission(
    dbsession: Session,
    assignment: Assignment,
    submission: AssignmentSubmission,
    grader: User,
    *,
    score: Decimal | None = None,
    rubric_scores: dict[int, Decimal] | None = None,
    feedback: str = "",
    now: dt.datetime,
) -> Grade:
    """Grade (or regrade) one version; it becomes the one that counts. The student and their
    parents are told once the grade commits (``SubmissionGraded``)."""
    if assignment.status == DRAFT:  # pragma: no cover - drafts take no submissions
        raise Conflict("A draft assignment has no submissions to grade.")
    criteria = rubrics(dbsession, [assignment.id])[assignment.id]
    raw, stored = raw_score_of(assignment, criteria, score, rubric_scores)
    outcome = late_policy.apply_penalty(
        late_policy.policy_of(assignment),
        submission.lateness_seconds if submission.is_late else 0,
        raw,
    )
    grade = dbsession.scalar(select(Grade).where(Grade.submission_id == submission.id))
    if grade is None:
        grade = Grade(submission_id=submission.id)
        dbsession.add(grade)
    grade.grader_id = grader.id
    grade.raw_score = raw
    grade.penalty = outcome.penalty
    grade.final_score = outcome.final_score
    grade.feedback = feedback
    grade.rubric_scores = stored
    grade.graded_at = now
    make_counted(dbsession, submission)
    submission.status = GRADED
    dbsession.flush()
    update_profile_stats(dbsession, [submission.student_id])
    event = SubmissionGraded(
        assignment_id=assignment.id,
        submission_id=submission.id,
        student_id=submission.student_id,
        final_score=late_policy.score_text(outcome.final_score) or "",
    )
    record(dbsession, event)
    return grade


def make_counted(dbsession: Session, submission: AssignmentSubmission) -> None:
    """This version counts; the student's other versions of the assignment do not."""
    dbsession.execute(
        update(AssignmentSubmission)
        .where(
            AssignmentSubmission.assignment_id == submission.assignment_id,
            AssignmentSubmission.student_id == submission.student_id,
            AssignmentSubmission.id != submission.id,
            AssignmentSubmission.counts.is_(True),
        )
        .values(counts=False)
        .execution_options(synchronize_session="fetch")
    )
    submission.counts = True


def relate_lateness(committing: Committing, event: AssignmentRescheduled) -> None:
    """Subscriber: the assignment's new dates or policy reach its submissions."""
    assignment = committing.dbsession.get(Assignment, event.assignment_id)
    if assignment is not None:
        refresh_lateness(committing.dbsession, assignment)


def refresh_lateness(
    dbsession: Session, assignment: Assignment, student_id: int | None = None
) -> None:
    """Recompute lateness and penalties after the dates, the policy or an extension changed.

    Submissions already accepted stay accepted; only their late marks and the penalties of
    their grades follow the new deadlines.
    """
    stmt = select(AssignmentSubmission).where(AssignmentSubmission.assignment_id == assignment.id)
    ext_stmt = select(AssignmentExtension).where(
        AssignmentExtension.assignment_id == assignment.id
    )
    if student_id is not None:
        stmt = stmt.where(AssignmentSubmission.student_id == student_id)
        ext_stmt = ext_stmt.where(AssignmentExtension.student_id == student_id)
    submissions = list(dbsession.execute(stmt).scalars())
    if not submissions:
        return
    extensions = {e.student_id: e for e in dbsession.execute(ext_stmt).scalars()}
    grades = {
        g.submission_id: g
        for g in dbsession.execute(
            select(Grade).where(Grade.submission_id.in_([s.id for s in submissions]))
        ).scalars()
    }
    policy = late_policy.policy_of(assignment)
    for submission in submissions:
        window = late_policy.window_of(assignment, extensions.get(submission.student_id))
        late = late_policy.lateness(window.due_at, submission.submitted_at)
        submission.is_late, submission.lateness_seconds = late.is_late, late.lateness_seconds
        grade = grades.get(submission.id)
        if grade is not None:
            outcome = late_policy.apply_penalty(policy, late.lateness_seconds, grade.raw_score)
            grade.penalty, grade.final_score = outcome.penalty, outcome.final_score
    dbsession.flush()
    update_profile_stats(dbsession, {s.student_id for s in submissions if s.id in grades})


def counted_grades(student_ids: Sequence[int]) -> Select:
    """``(student_id, final_score, max_score)`` of the counted graded submissions."""
    return (
        select(AssignmentSubmission.student_id, Grade.final_score, Assignment.max_score)
        .join(AssignmentSubmission, AssignmentSubmission.id == Grade.submission_id)
        .join(Assignment, Assignment.id == AssignmentSubmission.assignment_id)
        .where(
            AssignmentSubmission.student_id.in_(student_ids),
            AssignmentSubmission.counts.is_(True),
            AssignmentSubmission.status == GRADED,
        )
    )


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def graded_points(dbsession: Session, student_ids: Sequence[int]) -> dict[int, int]:
    """Each student's share of ``StudentProfile.points``: the sum of their counted final
    scores, rounded half up (a points source: ``config.add_points_source`` in includeme)."""
    totals: dict[int, Decimal] = {}
    for student_id, final, _ in dbsession.execute(counted_grades(student_ids)):
        totals[student_id] = totals.get(student_id, ZERO) + Decimal(final)
    return {student_id: whole(total) for student_id, total in totals.items()}


def accuracy_percents(dbsession: Session, student_ids: Sequence[int]) -> dict[int, int]:
    """Per student, the mean of final / max over their counted graded submissions, in
    percent (0 without any); one query."""
    ratios: dict[int, list[Decimal]] = {sid: [] for sid in student_ids}
    for student_id, final, maximum in dbsession.execute(counted_grades(student_ids)):
        ratios[student_id].append(Decimal(final) / Decimal(maximum))
    return {sid: whole(sum(r, ZERO) * 100 / len(r)) if r else 0 for sid, r in ratios.items()}


def update_profile_stats(dbsession: Session, student_ids: Iterable[int]) -> None:
    """After grades, a return or new deadlines: the students' accuracy and points (a
    constant number of queries whatever the number of students)."""
    ids = sorted(set(student_ids))
    if not ids:
        return
    # Locked first (in id order): two grades of one student committing together must not
    # both write figures computed without the other.
    profiles = lock_profiles(dbsession, ids)
    accuracy = accuracy_percents(dbsession, ids)
    changed = []
    for profile in profiles:  # a student without a profile has nothing to keep up to date
        if profile.accuracy_percent != accuracy[profile.user_id]:
            profile.accuracy_percent = accuracy[profile.user_id]
            changed.append(profile.user_id)
    # points, with the graded share; one dashboard invalidation for both
    refresh_student_stats(dbsession, ids, changed=changed)


def grade_data(grade: Grade | None) -> dict[str, Any] | None:
    if grade is None:
        return None
    return {
        "raw_score": str(late_policy.cents(grade.raw_score)),
        "penalty": str(late_policy.cents(grade.penalty)),
        "final_score": str(late_policy.cents(grade.final_score)),
        "feedback": grade.feedback,
        "rubric_scores": dict(grade.rubric_scores or {}),
        "grader_id": grade.grader_id,
        "graded_at": grade.graded_at.isoformat() if grade.graded_at else None,
    }
