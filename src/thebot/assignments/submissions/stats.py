"""Per-assignment statistics, computed in SQL (two queries whatever the class size).

Per student, the version that counts (``counts``) stands for them:

- ``assigned``: students assigned right now (explicit and, for a subject-wide assignment,
  active enrollments);
- ``submitted``: students with at least one submission (including those no longer assigned);
  ``not_submitted``: assigned students without one;
- ``late``: students whose counted version is late; ``graded``: whose counted version is
  graded; ``returned``: whose counted version was handed back;
- ``mean_score`` / ``median_score``: of the final scores of the counted graded versions (the
  median of an even count is the mean of the two middle values), rounded half up to cents;
  ``null`` when nothing is graded. ``mean_raw_score`` likewise, before penalties.

Sums and the middle values come from SQL; the one division happens in ``Decimal`` so both
databases give the same cents.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from thebot.assignments.assignments.assignees import assigned_students
from thebot.assignments.late_policy import cents, score_text
from thebot.assignments.models import Assignment, AssignmentSubmission, Grade
from thebot.assignments.submissions.grading import GRADED
from thebot.assignments.submissions.service import RETURNED


def _decimal(value: Any) -> Decimal:
    # SQLite hands sums of NUMERIC back as floats; scores have two places, so cents are exact.
    return cents(Decimal(str(value))) if value is not None else Decimal(0)


def _mean(total: Any, count: int) -> str | None:
    return score_text(_decimal(total) / count) if count else None


def assignment_stats(dbsession: Session, assignment: Assignment) -> dict[str, Any]:
    sub = AssignmentSubmission
    assigned = assigned_students(assignment).subquery()
    counted = sub.counts.is_(True)
    row = dbsession.execute(
        select(
            select(func.count()).select_from(assigned).scalar_subquery().label("assigned"),
            select(func.count(sub.student_id.distinct()))
            .where(sub.assignment_id == assignment.id)
            .scalar_subquery()
            .label("submitted"),
            select(func.count())
            .where(sub.assignment_id == assignment.id, sub.student_id.in_(select(assigned)))
            .where(sub.counts.is_(True))
            .scalar_subquery()
            .label("assigned_submitted"),
            select(func.count(case((sub.is_late.is_(True), 1))))
            .where(sub.assignment_id == assignment.id, counted)
            .scalar_subquery()
            .label("late"),
            select(func.count(case((sub.status == RETURNED, 1))))
            .where(sub.assignment_id == assignment.id, counted)
            .scalar_subquery()
            .label("returned"),
        )
    ).one()
    graded = dbsession.execute(
        select(
            func.count(Grade.id),
            func.sum(Grade.final_score),
            func.sum(Grade.raw_score),
        )
        .join(sub, sub.id == Grade.submission_id)
        .where(sub.assignment_id == assignment.id, counted, sub.status == GRADED)
    ).one()
    graded_count = int(graded[0] or 0)
    return {
        "assignment_id": assignment.id,
        "max_score": score_text(assignment.max_score),
        "assigned": int(row.assigned or 0),
        "submitted": int(row.submitted or 0),
        "not_submitted": max(int(row.assigned or 0) - int(row.assigned_submitted or 0), 0),
        "late": int(row.late or 0),
        "graded": graded_count,
        "returned": int(row.returned or 0),
        "mean_score": _mean(graded[1], graded_count),
        "mean_raw_score": _mean(graded[2], graded_count),
        "median_score": median_final_score(dbsession, assignment.id),
    }


def median_final_score(dbsession: Session, assignment_id: int) -> str | None:
    """The median with window functions (PostgreSQL and SQLite alike)."""
    sub = AssignmentSubmission
    ranked = (
        select(
            Grade.final_score.label("score"),
            func.row_number().over(order_by=(Grade.final_score, Grade.id)).label("rn"),
            func.count().over().label("n"),
        )
        .join(sub, sub.id == Grade.submission_id)
        .where(sub.assignment_id == assignment_id, sub.counts.is_(True), sub.status == GRADED)
        .subquery()
    )
    # The middle row, or the two middle rows of an even count: (n + 1) / 2 and (n + 2) / 2
    # in integer division.
    middle = dbsession.execute(
        select(func.sum(ranked.c.score), func.count()).where(
            ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        )
    ).one()
    total, count = middle
    return _mean(total, int(count or 0))
