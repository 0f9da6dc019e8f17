"""Grading: score bounds, rubric totals, the late penalty shown apart, which version counts,
notifications to the student and parents after commit, and the student's profile stats."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import dramatiq
import pytest
from sqlalchemy import select

from factories import (
    AssignmentAssigneeFactory,
    AssignmentFactory,
    AssignmentSubmissionFactory,
    MaterialFactory,
    ParentLinkFactory,
    RubricCriterionFactory,
    SubjectFactory,
    TeacherSubjectFactory,
)
from thebot.accounts.models import StudentProfile
from thebot.assignments.models import AssignmentSubmission, Grade
from thebot.assignments.submissions.grading import raw_score_of, update_profile_stats
from thebot.errors import Invalid
from thebot.notifications.models import Notification


@pytest.fixture
def desk(dbsession, make_user, auth_headers):
    subject = SubjectFactory()
    teacher = make_user("teacher")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    student = make_user("student")
    mother, father, stranger = make_user("parent"), make_user("parent"), make_user("parent")
    ParentLinkFactory(student=student, parent=mother)
    ParentLinkFactory(student=student, parent=father)

    def assignment(**kw):
        made = AssignmentFactory(author_id=teacher.id, subject_id=subject.id, **kw)
        AssignmentAssigneeFactory(assignment_id=made.id, student_id=student.id)
        return made

    def submission(assignment_, **kw):
        return AssignmentSubmissionFactory(
            assignment_id=assignment_.id, student_id=student.id, **kw
        )

    return SimpleNamespace(
        teacher=teacher,
        student=student,
        mother=mother,
        father=father,
        stranger=stranger,
        assignment=assignment,
        submission=submission,
        h=auth_headers(teacher),
        auth=auth_headers,
    )


def grade(testapp, desk, submission, body, status=200, headers=None):
    return testapp.post_json(
        f"/api/assignments/submissions/{submission.id}/grade/",
        body,
        headers=headers or desk.h,
        status=status,
    )


@pytest.mark.parametrize(
    ("score", "status", "shown"),
    [
        (0, 200, "0.00"),
        (100, 200, "100.00"),
        ("85.5", 200, "85.50"),
        (72.25, 200, "72.25"),
        (-1, 400, None),
        ("100.01", 400, None),
        ("12.345", 400, None),
        ("lots", 400, None),
        (True, 400, None),
        (None, 400, None),
        ([50], 400, None),
    ],
)
def test_score_bounds(testapp, desk, score, status, shown):
    submission = desk.submission(desk.assignment())
    res = grade(testapp, desk, submission, {"score": score}, status=status)
    if status == 200:
        assert res.json["grade"]["raw_score"] == shown
        assert res.json["grade"]["final_score"] == shown
        assert res.json["status"] == "graded"
    else:
        assert res.json["errors"][0]["name"] == "score"


def test_score_is_required_without_a_rubric(testapp, desk):
    submission = desk.submission(desk.assignment())
    res = grade(testapp, desk, submission, {"feedback": "Nice"}, status=400)
    assert res.json["errors"][0]["name"] == "score"
    res = grade(testapp, desk, submission, {"rubric_scores": {"1": 5}}, status=400)
    assert res.json["errors"][0]["name"] == "rubric_scores"


def test_rubric_points_make_the_score(testapp, desk, dbsession):
    assignment = desk.assignment(max_score=Decimal("50"))
    method = RubricCriterionFactory(assignment_id=assignment.id, max_points=Decimal("30"))
    answer = RubricCriterionFactory(assignment_id=assignment.id, max_points=Decimal("20"))
    submission = desk.submission(assignment)
    bad = [
        ({"score": 40}, "score"),
        ({}, "rubric_scores"),
        ({"rubric_scores": {str(method.id): 10}}, f"rubric_scores.{answer.id}"),
        (
            {"rubric_scores": {str(method.id): 10, str(answer.id): 5, "999999": 1}},
            "rubric_scores.999999",
        ),
        (
            {"rubric_scores": {str(method.id): "30.5", str(answer.id): 5}},
            f"rubric_scores.{method.id}",
        ),
        ({"rubric_scores": {str(method.id): -1, str(answer.id): 5}}, f"rubric_scores.{method.id}"),
        ({"rubric_scores": {"abc": 1}}, "rubric_scores.abc"),
        ({"rubric_scores": [1, 2]}, "rubric_scores"),
    ]
    for body, name in bad:
        res = grade(testapp, desk, submission, body, status=400)
        assert name in {e["name"] for e in res.json["errors"]}, (body, res.json)
    res = grade(
        testapp,
        desk,
        submission,
        {"rubric_scores": {str(method.id): "27.5", str(answer.id): 18}, "feedback": "Good"},
    )
    assert res.json["grade"]["raw_score"] == "45.50"
    assert res.json["grade"]["rubric_scores"] == {str(method.id): "27.50", str(answer.id): "18.00"}
    assert res.json["grade"]["feedback"] == "Good"


def test_rubric_total_may_not_exceed_max_score():
    assignment = SimpleNamespace(max_score=Decimal("10"))
    criteria = [
        SimpleNamespace(id=1, max_points=Decimal("8")),
        SimpleNamespace(id=2, max_points=Decimal("8")),
    ]
    assert raw_score_of(assignment, criteria, None, {1: Decimal("5"), 2: Decimal("5")})[0] == 10
    with pytest.raises(Invalid) as info:
        raw_score_of(assignment, criteria, None, {1: Decimal("8"), 2: Decimal("3")})
    assert info.value.status == 400
    assert "more than" in info.value.errors[0]["description"]


def test_late_penalty_is_shown_apart(testapp, desk, dbsession):
    assignment = desk.assignment(
        allow_late=True,
        penalty_type="percentage",
        penalty_value=Decimal("10"),
        penalty_frequency="per_day",
        max_penalty=Decimal("25"),
    )
    day_late = desk.submission(assignment, is_late=True, lateness_seconds=86401)
    res = grade(testapp, desk, day_late, {"score": "90"})
    assert {k: res.json["grade"][k] for k in ("raw_score", "penalty", "final_score")} == {
        "raw_score": "90.00",
        "penalty": "20.00",  # 2 started days x 10 % of 100
        "final_score": "70.00",
    }
    week_late = desk.submission(
        assignment, attempt=2, is_late=True, lateness_seconds=7 * 86400, counts=False
    )
    res = grade(testapp, desk, week_late, {"score": 10})
    assert (res.json["grade"]["penalty"], res.json["grade"]["final_score"]) == ("10.00", "0.00")


def test_grading_an_older_version_makes_it_count(testapp, desk, dbsession):
    assignment = desk.assignment(attempts_limit=3)
    first = desk.submission(assignment, counts=False)
    second = desk.submission(assignment, attempt=2)
    res = grade(testapp, desk, first, {"score": 60})
    assert res.json["counts"] is True
    dbsession.expire_all()
    assert dbsession.get(AssignmentSubmission, second.id).counts is False
    grade(testapp, desk, second, {"score": 75})
    grade(testapp, desk, second, {"score": 80, "feedback": "Regraded"})
    dbsession.expire_all()
    assert dbsession.get(AssignmentSubmission, first.id).counts is False
    rows = dbsession.execute(select(Grade.raw_score).where(Grade.submission_id == second.id))
    assert list(rows.scalars()) == [Decimal("80.00")]  # one grade, replaced
    assert dbsession.get(StudentProfile, desk.student.id).points == 80


def test_student_and_parents_are_notified_after_commit(testapp, desk, dbsession, broker):
    submission = desk.submission(desk.assignment())
    grade(testapp, desk, submission, {"score": "-3"}, status=400)
    assert list(broker.queues["email"].queue) == []
    grade(testapp, desk, submission, {"score": "88.5"})
    rows = dbsession.execute(
        select(Notification.user_id, Notification.data).where(
            Notification.kind == "assignments.graded"
        )
    ).all()
    assert sorted(uid for uid, _ in rows) == sorted(
        [desk.student.id, desk.mother.id, desk.father.id]
    )
    assert all(data["submission_id"] == submission.id for _, data in rows)
    messages = [dramatiq.Message.decode(m) for m in list(broker.queues["email"].queue)]
    assert sorted(m.args[0][0] for m in messages) == sorted(
        [desk.student.email, desk.mother.email, desk.father.email]
    )
    assert all("88.50 / 100.00" in m.args[2] for m in messages)


def test_profile_stats_follow_grades_and_returns(testapp, desk, dbsession):
    first = desk.assignment(max_score=Decimal("80"), attempts_limit=2)
    second = desk.assignment(max_score=Decimal("50"))
    a = desk.submission(first)
    b = desk.submission(second)
    grade(testapp, desk, a, {"score": 70})  # 87.5 %
    grade(testapp, desk, b, {"score": "45.4"})  # 90.8 %
    profile = dbsession.get(StudentProfile, desk.student.id)
    dbsession.refresh(profile)
    assert (profile.points, profile.accuracy_percent) == (115, 89)  # 115.4; mean 89.15 %
    testapp.post_json(f"/api/assignments/submissions/{a.id}/return/", {}, headers=desk.h)
    dbsession.refresh(profile)
    assert (profile.points, profile.accuracy_percent) == (45, 91)


def test_graded_points_add_to_progress_points_and_dashboards_follow(testapp, desk, dbsession):
    """One ``points`` figure with two shares: progress (1 per full 10 %, 10 per completion)
    and the counted final scores. Neither overwrites the other, and the parents' cached
    dashboards show each change at once."""
    material = MaterialFactory(status="active", is_public=True, author_id=desk.teacher.id)
    assignment = desk.assignment(max_score=Decimal("100"), attempts_limit=2)
    submission = desk.submission(assignment)
    student_h = desk.auth(desk.student)

    def progress(percentage):
        testapp.post_json(
            f"/api/materials/{material.id}/progress/",
            {"percentage": percentage},
            headers=student_h,
        )

    def shown_points():
        body = testapp.get("/api/dashboard/parent/", headers=desk.auth(desk.mother)).json
        [child] = body["sections"]["children"]
        return child["stats"]["points"], child["stats"]["accuracy_percent"]

    progress(50)
    assert shown_points() == (5, 0)  # now cached
    grade(testapp, desk, submission, {"score": 80})
    assert shown_points() == (85, 80)
    progress(100)  # 10 + 10 for the completion
    assert shown_points() == (100, 80)
    grade(testapp, desk, submission, {"score": 60})
    assert shown_points() == (80, 60)
    testapp.post_json(f"/api/assignments/submissions/{submission.id}/return/", {}, headers=desk.h)
    assert shown_points() == (20, 0)
    dbsession.expire_all()
    assert dbsession.get(StudentProfile, desk.student.id).points == 20


def test_profile_stats_of_many_students_cost_the_queries_of_one(
    dbsession, make_user, count_queries
):
    """New deadlines re-grade every submission of an assignment; the students' stats are
    then brought up to date together, not one student after another."""
    assignment = AssignmentFactory(max_score=Decimal("10"))
    students = []

    def add(n):
        for _ in range(n):
            student = make_user("student")
            submission = AssignmentSubmissionFactory(
                assignment_id=assignment.id, student_id=student.id, status="graded"
            )
            dbsession.add(
                Grade(
                    submission_id=submission.id,
                    raw_score=Decimal("8"),
                    penalty=Decimal("0"),
                    final_score=Decimal("8"),
                )
            )
            students.append(student.id)
        dbsession.flush()

    add(1)
    with count_queries() as one:
        update_profile_stats(dbsession, students)
    add(29)
    with count_queries() as thirty:
        update_profile_stats(dbsession, students)
    assert one.count == thirty.count
    profiles = dbsession.scalars(
        select(StudentProfile).where(StudentProfile.user_id.in_(students))
    ).all()
    assert {(p.points, p.accuracy_percent) for p in profiles} == {(8, 80)}


def test_who_may_grade(testapp, desk, make_user):
    submission = desk.submission(desk.assignment())
    grade(testapp, desk, submission, {"score": 1}, status=403, headers=desk.auth(desk.student))
    grade(testapp, desk, submission, {"score": 1}, status=403, headers=desk.auth(desk.mother))
    grade(testapp, desk, submission, {"score": 1}, status=404, headers=desk.auth(desk.stranger))
    grade(
        testapp,
        desk,
        submission,
        {"score": 1},
        status=404,
        headers=desk.auth(make_user("teacher")),
    )
    grade(testapp, desk, submission, {"score": 1, "bonus": 2}, status=400)
