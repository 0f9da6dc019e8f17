"""The figures of a progress report: what a student did in a period, computed from the data.

A period is a range of calendar days ``period_start..period_end`` (both included) in UTC:
an event counts when its time ``t`` satisfies ``period_start 00:00Z <= t < (period_end + 1
day) 00:00Z``. Figures are about the student as a whole (every teacher and subject), and are
always computed here, never taken from a client:

``lessons_held``
    the student's lessons with status ``completed`` that start in the period;
``lessons_cancelled``
    the student's lessons with status ``cancelled`` that start in the period;
``assignments_submitted``
    distinct assignments with at least one attempt the student submitted in the period;
``assignments_late``
    of those, the assignments with at least one attempt in the period marked late;
``assignments_graded``
    distinct assignments with a grade on one of the student's attempts given in the period;
``average_score_percent``
    per graded assignment, its latest grade in the period (by ``graded_at``, then id) as
    ``final_score / max_score * 100``; the arithmetic mean of those, rounded half-up to one
    decimal place (``null`` when nothing was graded);
``materials_completed``
    the student's material progress rows completed (``completed_at``) in the period.

``compute_many`` answers for any number of students in a constant number of queries (two
per chunk of ``CHUNK`` students): one of grouped counts, one of the period's grades (averaged
here, in exact decimal arithmetic, so every database gives the same figure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, and_, case, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from thebot.assignments.models import Assignment, AssignmentSubmission, Grade
from thebot.db import utcnow
from thebot.materials.models import MaterialProgress
from thebot.scheduling.models import Lesson, LessonStatus

UTC = dt.timezone.utc
CHUNK = 500  # students per query: keeps ``IN (...)`` lists well below backend limits
COUNTS = (
    "lessons_held",
    "lessons_cancelled",
    "assignments_submitted",
    "assignments_late",
    "assignments_graded",
    "materials_completed",
)


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start 00:00Z, end + 1 day 00:00Z)``: the instants of the period's UTC days."""
    if end < start:
        raise ValueError("the period ends before it starts")
    lower = dt.datetime.combine(start, dt.time(0), tzinfo=UTC)
    upper = dt.datetime.combine(end, dt.time(0), tzinfo=UTC) + dt.timedelta(days=1)
    return lower, upper


def empty_figures() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    figures["average_score_percent"] = None
    return figures


def compute_figures(
    dbsession: Session, student_id: int, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """The figures of one student for ``start..end`` (see the module docstring)."""
    return compute_many(dbsession, [student_id], start, end)[student_id]


def compute_many(
    dbsession: Session, student_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, dict[str, Any]]:
    """The figures of each student for ``start..end``, with ``computed_at``."""
    ids = sorted(set(student_ids))
    lower, upper = period_bounds(start, end)
    computed_at = utcnow().isoformat()
    result = {sid: {**empty_figures(), "computed_at": computed_at} for sid in ids}
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        for row in dbsession.execute(_counts_query(chunk, lower, upper)):
            figures = result[row.student_id]
            figures[row.figure] = int(figures[row.figure]) + int(row.value or 0)
        latest: dict[tuple[int, int], tuple[dt.datetime, int, Decimal]] = {}
        for row in dbsession.execute(_grades_query(chunk, lower, upper)):
            key = (row.student_id, row.assignment_id)
            percent = Decimal(row.final_score) * 100 / Decimal(row.max_score)
            candidate = (row.graded_at, row.grade_id, percent)
            if key not in latest or candidate[:2] > latest[key][:2]:
                latest[key] = candidate
        per_student: dict[int, list[Decimal]] = {}
        for (sid, _assignment), (_at, _id, percent) in latest.items():
            per_student.setdefault(sid, []).append(percent)
        for sid, percents in per_student.items():
            result[sid]["assignments_graded"] = len(percents)
            result[sid]["average_score_percent"] = average_percent(percents)
    return result


def average_percent(percents: list[Decimal]) -> float | None:
    """The mean, rounded half-up to one decimal place (``None`` for no values)."""
    if not percents:
        return None
    mean = sum(percents, Decimal(0)) / len(percents)
    return float(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _counts_query(student_ids: list[int], lower: dt.datetime, upper: dt.datetime) -> Any:
    """``(student_id, figure, value)`` rows: lessons, submissions and materials, grouped."""

    def lesson_count(status: str, figure: str) -> Select:
        return (
            select(
                Lesson.student_id.label("student_id"),
                literal(figure).label("figure"),
                func.count().label("value"),
            )
            .where(
                Lesson.student_id.in_(student_ids),
                Lesson.status == status,
                Lesson.start_at >= lower,
                Lesson.start_at < upper,
            )
            .group_by(Lesson.student_id)
        )

    in_period = and_(
        AssignmentSubmission.student_id.in_(student_ids),
        AssignmentSubmission.submitted_at >= lower,
        AssignmentSubmission.submitted_at < upper,
    )

    def submission_count(figure: str, counted: Any) -> Select:
        return (
            select(
                AssignmentSubmission.student_id.label("student_id"),
                literal(figure).label("figure"),
                func.count(distinct(counted)).label("value"),
            )
            .where(in_period)
            .group_by(AssignmentSubmission.student_id)
        )

    materials = (
        select(
            MaterialProgress.student_id.label("student_id"),
            literal("materials_completed").label("figure"),
            func.count().label("value"),
        )
        .where(
            MaterialProgress.student_id.in_(student_ids),
            MaterialProgress.is_completed.is_(True),
            MaterialProgress.completed_at >= lower,
            MaterialProgress.completed_at < upper,
        )
        .group_by(MaterialProgress.student_id)
    )
    late_assignment = case(
        (AssignmentSubmission.is_late.is_(True), AssignmentSubmission.assignment_id),
        else_=None,
    )
    return union_all(
        lesson_count(LessonStatus.COMPLETED.value, "lessons_held"),
        lesson_count(LessonStatus.CANCELLED.value, "lessons_cancelled"),
        submission_count("assignments_submitted", AssignmentSubmission.assignment_id),
        submission_count("assignments_late", late_assignment),
        materials,
    )


def _grades_query(student_ids: list[int], lower: dt.datetime, upper: dt.datetime) -> Select:
    """Every grade given in the period on the students' attempts, with the assignment's max."""
    return (
        select(
            AssignmentSubmission.student_id.label("student_id"),
            AssignmentSubmission.assignment_id.label("assignment_id"),
            Grade.id.label("grade_id"),
            Grade.graded_at.label("graded_at"),
            Grade.final_score.label("final_score"),
            Assignment.max_score.label("max_score"),
        )
        .join(AssignmentSubmission, AssignmentSubmission.id == Grade.submission_id)
        .join(Assignment, Assignment.id == AssignmentSubmission.assignment_id)
        .where(
            AssignmentSubmission.student_id.in_(student_ids),
            Grade.graded_at >= lower,
            Grade.graded_at < upper,
        )
    )


def describe(figures: dict[str, Any]) -> str:
    """A plain one-line account of the figures (the starting text of a weekly draft)."""
    average = figures.get("average_score_percent")
    parts = [
        f"Lessons: {figures.get('lessons_held', 0)} held, "
        f"{figures.get('lessons_cancelled', 0)} cancelled.",
        f"Assignments: {figures.get('assignments_submitted', 0)} submitted "
        f"({figures.get('assignments_late', 0)} late), "
        f"{figures.get('assignments_graded', 0)} graded"
        + (f", average score {average}%." if average is not None else "."),
        f"Materials completed: {figures.get('materials_completed', 0)}.",
    ]
    return " ".join(parts)
