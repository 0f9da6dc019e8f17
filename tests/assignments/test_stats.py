"""Per-assignment statistics: counts per student (the counted version), mean and median of
the final scores, on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from factories import (
    AssignmentAssigneeFactory,
    AssignmentFactory,
    AssignmentSubmissionFactory,
    EnrollmentFactory,
    GradeFactory,
    SubjectFactory,
    TeacherSubjectFactory,
)


@pytest.fixture
def setup(dbsession, make_user, auth_headers):
    subject = SubjectFactory()
    teacher = make_user("teacher")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    assignment = AssignmentFactory(
        author_id=teacher.id, subject_id=subject.id, assign_to_subject=True
    )
    students = [make_user("student") for _ in range(6)]
    # two explicit assignees, three enrolled (one of them also explicit): five assigned
    for student in students[:2]:
        AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=student.id)
    for student in students[1:5]:
        EnrollmentFactory(student_id=student.id, subject_id=subject.id, teacher_id=teacher.id)
    return assignment, students, auth_headers(teacher)


def graded(assignment, student, final, raw=None, **kw):
    submission = AssignmentSubmissionFactory(
        assignment_id=assignment.id, student_id=student.id, status="graded", **kw
    )
    raw = Decimal(raw if raw is not None else final)
    GradeFactory(submission_id=submission.id, raw_score=raw, penalty=raw - Decimal(final))
    return submission


def stats(testapp, assignment, headers):
    return testapp.get(f"/api/assignments/{assignment.id}/stats/", headers=headers).json


def test_empty_assignment(testapp, setup):
    assignment, _, headers = setup
    assert stats(testapp, assignment, headers) == {
        "assignment_id": assignment.id,
        "max_score": "100.00",
        "assigned": 5,
        "submitted": 0,
        "not_submitted": 5,
        "late": 0,
        "graded": 0,
        "returned": 0,
        "mean_score": None,
        "mean_raw_score": None,
        "median_score": None,
    }


def test_counts_mean_and_median(testapp, setup):
    assignment, s, headers = setup
    # s0: two versions, the second counts: late, graded 60 (raw 70, penalty 10)
    AssignmentSubmissionFactory(assignment_id=assignment.id, student_id=s[0].id, counts=False)
    graded(assignment, s[0], "60", raw="70", attempt=2, is_late=True, lateness_seconds=5)
    # s1: graded 70; an older graded version of 10 does not count
    graded(assignment, s[1], "10", counts=False)
    graded(assignment, s[1], "70", attempt=2)
    # s2: graded 95.5
    graded(assignment, s[2], "95.5")
    # s3: submitted, late, not graded; s4: nothing
    AssignmentSubmissionFactory(
        assignment_id=assignment.id, student_id=s[3].id, is_late=True, lateness_seconds=1
    )
    # s5 is not assigned (left the class) but submitted: counted as submitted
    AssignmentSubmissionFactory(assignment_id=assignment.id, student_id=s[5].id, status="returned")
    result = stats(testapp, assignment, headers)
    assert {k: result[k] for k in ("assigned", "submitted", "not_submitted", "late")} == {
        "assigned": 5,
        "submitted": 5,
        "not_submitted": 1,
        "late": 2,
    }
    assert (result["graded"], result["returned"]) == (3, 1)
    # finals 60, 70, 95.5: mean 225.5 / 3 = 75.1666... -> 75.17; median 70
    assert (result["mean_score"], result["median_score"]) == ("75.17", "70.00")
    assert result["mean_raw_score"] == "78.50"  # 70 + 70 + 95.5 = 235.5 / 3


def test_even_count_median_and_half_up_rounding(testapp, setup):
    assignment, s, headers = setup
    for student, final in zip(s, ["60", "70", "95.5", "80"], strict=False):
        graded(assignment, student, final)
    result = stats(testapp, assignment, headers)
    # mean 305.5 / 4 = 76.375 -> 76.38 (half up); median (70 + 80) / 2 = 75
    assert (result["mean_score"], result["median_score"]) == ("76.38", "75.00")


def test_odd_cents_median(testapp, setup):
    assignment, s, headers = setup
    graded(assignment, s[0], "0.01")
    graded(assignment, s[1], "0.02")
    result = stats(testapp, assignment, headers)
    assert (result["mean_score"], result["median_score"]) == ("0.02", "0.02")  # 0.015 half up


def test_stats_are_for_graders(testapp, setup, auth_headers):
    assignment, s, _ = setup
    testapp.get(f"/api/assignments/{assignment.id}/stats/", headers=auth_headers(s[0]), status=403)
