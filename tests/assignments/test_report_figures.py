"""Report figures computed from seeded lessons, assignments, grades and material progress,
inside and outside the period (2026-03-02..2026-03-08, UTC days)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from factories import SubjectFactory
from thebot.assignments.models import Assignment, AssignmentSubmission, Grade
from thebot.assignments.reports.figures import (
    average_percent,
    compute_figures,
    compute_many,
    describe,
    period_bounds,
)
from thebot.materials.models import Material, MaterialProgress
from thebot.scheduling.models import Lesson

UTC = dt.timezone.utc
START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 8)
FIRST_INSTANT = dt.datetime(2026, 3, 2, tzinfo=UTC)
LAST_INSTANT = dt.datetime(2026, 3, 8, 23, 59, 59, 999999, tzinfo=UTC)
AFTER = dt.datetime(2026, 3, 9, tzinfo=UTC)
BEFORE = dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)


def at(day, hour=12):
    return dt.datetime(2026, 3, day, hour, tzinfo=UTC)


class Seed:
    """Rows for one student (and noise for another), added through one session."""

    def __init__(self, dbsession, teacher, subject):
        self.db, self.teacher, self.subject = dbsession, teacher, subject

    def add(self, row):
        self.db.add(row)
        self.db.flush()
        return row

    def lesson(self, student, start, status):
        return self.add(
            Lesson(
                teacher_id=self.teacher.id,
                student_id=student.id,
                subject_id=self.subject.id,
                start_at=start,
                end_at=start + dt.timedelta(hours=1),
                status=status,
            )
        )

    def assignment(self, max_score):
        return self.add(
            Assignment(
                title=f"Task out of {max_score}",
                subject_id=self.subject.id,
                author_id=self.teacher.id,
                status="published",
                max_score=Decimal(max_score),
                due_at=at(5),
                attempts_limit=3,
            )
        )

    def submit(self, assignment, student, when, attempt=1, late=False):
        return self.add(
            AssignmentSubmission(
                assignment_id=assignment.id,
                student_id=student.id,
                attempt=attempt,
                submitted_at=when,
                is_late=late,
                lateness_seconds=3600 if late else 0,
            )
        )

    def grade(self, submission, final, when, raw=None):
        raw = Decimal(raw if raw is not None else final)
        return self.add(
            Grade(
                submission_id=submission.id,
                raw_score=raw,
                penalty=raw - Decimal(final),
                final_score=Decimal(final),
                graded_at=when,
            )
        )

    def material_progress(self, student, completed_at, completed=True):
        material = self.add(
            Material(
                title="Reading",
                author_id=self.teacher.id,
                subject_id=self.subject.id,
                type="document",
                status="active",
            )
        )
        return self.add(
            MaterialProgress(
                material_id=material.id,
                student_id=student.id,
                percentage=100 if completed else 40,
                is_completed=completed,
                completed_at=completed_at,
            )
        )


@pytest.fixture
def seed(dbsession, make_user):
    return Seed(dbsession, make_user("teacher"), SubjectFactory())


@pytest.fixture
def student(make_user):
    return make_user("student")


@pytest.fixture
def other(make_user):
    return make_user("student")


@pytest.fixture
def seeded(seed, student, other):
    """The student's week; the expected figures are spelt out next to each row."""
    # Lessons: held 2 (both boundaries of the period), cancelled 1; the rest do not count.
    seed.lesson(student, FIRST_INSTANT, "completed")
    seed.lesson(student, LAST_INSTANT, "completed")
    seed.lesson(student, at(4), "cancelled")
    seed.lesson(student, at(5), "pending")  # neither held nor cancelled
    seed.lesson(student, at(6), "confirmed")
    seed.lesson(student, AFTER, "completed")  # the day after the period
    seed.lesson(student, BEFORE, "cancelled")  # the day before
    seed.lesson(other, at(4), "completed")  # another student

    # Assignments: submitted A1, A2, A3 (3); late A1 (second attempt), A3 (2);
    # graded in the period A1 (latest grade 80/100), A3 (15/20), A4 (20/30) (3);
    # average (80 + 75 + 66.67) / 3 = 73.89 -> 73.9.
    a1, a2, a3, a4 = (seed.assignment(m) for m in (100, 50, 20, 30))
    s1 = seed.submit(a1, student, at(3), attempt=1)
    seed.grade(s1, 60, at(3, 18))  # superseded by the regrade of the second attempt
    s1b = seed.submit(a1, student, at(6), attempt=2, late=True)
    seed.grade(s1b, 80, at(7), raw=90)  # penalty 10: the final score counts
    s2 = seed.submit(a2, student, at(4))
    seed.grade(s2, 50, AFTER)  # graded after the period: not graded in it
    s3 = seed.submit(a3, student, at(5), late=True)
    seed.grade(s3, 15, at(8))
    s4 = seed.submit(a4, student, dt.datetime(2026, 2, 27, tzinfo=UTC))  # before the period
    seed.grade(s4, 20, FIRST_INSTANT)
    noise = seed.submit(a1, other, at(3), late=True)
    seed.grade(noise, 10, at(4))

    # Materials: completed in the period 2; completed after it, unfinished, other's: 0.
    seed.material_progress(student, at(4))
    seed.material_progress(student, LAST_INSTANT)
    seed.material_progress(student, AFTER)
    seed.material_progress(student, None, completed=False)
    seed.material_progress(other, at(4))
    return student


EXPECTED = {
    "lessons_held": 2,
    "lessons_cancelled": 1,
    "assignments_submitted": 3,
    "assignments_late": 2,
    "assignments_graded": 3,
    "average_score_percent": 73.9,
    "materials_completed": 2,
}


def without_time(figures):
    return {k: v for k, v in figures.items() if k != "computed_at"}


def test_figures_count_exactly_what_happened_in_the_period(dbsession, seeded):
    figures = compute_figures(dbsession, seeded.id, START, END)
    assert without_time(figures) == EXPECTED
    assert dt.datetime.fromisoformat(figures["computed_at"]).tzinfo is not None


def test_the_other_student_has_their_own_figures(dbsession, seeded, other):
    figures = compute_many(dbsession, [seeded.id, other.id], START, END)
    assert without_time(figures[seeded.id]) == EXPECTED
    assert without_time(figures[other.id]) == {
        "lessons_held": 1,
        "lessons_cancelled": 0,
        "assignments_submitted": 1,
        "assignments_late": 1,
        "assignments_graded": 1,
        "average_score_percent": 10.0,
        "materials_completed": 1,
    }


def test_a_student_without_activity_has_zeros(dbsession, make_user):
    quiet = make_user("student")
    assert without_time(compute_figures(dbsession, quiet.id, START, END)) == {
        **dict.fromkeys(EXPECTED, 0),
        "average_score_percent": None,
    }


def test_a_one_day_period_includes_the_whole_day(dbsession, seeded):
    figures = compute_figures(dbsession, seeded.id, END, END)
    # 03-08: the last-instant lesson, the A3 grade, the last-instant material.
    assert figures["lessons_held"] == 1
    assert figures["assignments_graded"] == 1
    assert figures["average_score_percent"] == 75.0
    assert figures["materials_completed"] == 1


def test_figures_take_a_constant_number_of_queries(dbsession, seeded, other, count_queries):
    with count_queries() as one:
        compute_figures(dbsession, seeded.id, START, END)
    with count_queries() as two:
        compute_many(dbsession, [seeded.id, other.id], START, END)
    assert one.count == two.count == 2


def test_figures_are_deterministic(dbsession, seeded):
    first = without_time(compute_figures(dbsession, seeded.id, START, END))
    second = without_time(compute_figures(dbsession, seeded.id, START, END))
    assert first == second == EXPECTED


def test_api_reports_the_seeded_figures(testapp, dbsession, seeded, make_user, auth_headers):
    admin = make_user("admin")
    body = testapp.post_json(
        "/api/reports/",
        {"student_id": seeded.id, "period_start": "2026-03-02", "period_end": "2026-03-08"},
        headers=auth_headers(admin),
        status=201,
    ).json
    assert without_time(body["figures"]) == EXPECTED


@pytest.mark.parametrize(
    "values, expected",
    [
        ([], None),
        (["72.25"], 72.3),  # half-up, not half-even
        (["72.35"], 72.4),
        (["100", "0"], 50.0),
        (["66.666666"], 66.7),
        (["80", "75", "66.66666666666666666666666667"], 73.9),
    ],
)
def test_average_rounds_half_up_to_one_decimal(values, expected):
    assert average_percent([Decimal(v) for v in values]) == expected


def test_period_bounds_are_utc_days():
    assert period_bounds(START, END) == (FIRST_INSTANT, AFTER)
    with pytest.raises(ValueError):
        period_bounds(END, START)


def test_describe_reads_the_figures():
    text = describe({**EXPECTED})
    assert "2 held, 1 cancelled" in text
    assert "3 submitted (2 late), 3 graded, average score 73.9%" in text
    assert "Materials completed: 2" in text
    assert "average" not in describe({**EXPECTED, "average_score_percent": None})
