"""Assignments API: create, edit, publish, close, clone, delete; permissions by role; lists."""

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
    EnrollmentFactory,
    GradeFactory,
    RubricCriterionFactory,
    SubjectFactory,
    TeacherSubjectFactory,
)
from thebot.assignments.models import Assignment, RubricCriterion
from thebot.notifications.models import Notification

DUE = "2027-03-10T12:00:00+03:00"


@pytest.fixture
def school(dbsession, make_user, auth_headers):
    subject = SubjectFactory()
    teacher = make_user("teacher")
    colleague = make_user("teacher")
    stranger = make_user("teacher")
    for who in (teacher, colleague):
        TeacherSubjectFactory(teacher_id=who.id, subject_id=subject.id)
    student = make_user("student")
    enrolled = make_user("student")
    outsider = make_user("student")
    EnrollmentFactory(student_id=enrolled.id, subject_id=subject.id, teacher_id=teacher.id)
    EnrollmentFactory(student_id=student.id, subject_id=subject.id, teacher_id=teacher.id)
    admin = make_user("admin")
    parent = make_user("parent")
    dbsession.flush()
    people = dict(
        teacher=teacher,
        colleague=colleague,
        stranger=stranger,
        student=student,
        enrolled=enrolled,
        outsider=outsider,
        admin=admin,
        parent=parent,
    )
    return SimpleNamespace(
        subject=subject,
        **people,
        h={name: auth_headers(user) for name, user in people.items()},
    )


def body(school, **changes):
    data = {
        "title": "Fractions",
        "instructions": "Exercises 1-10.",
        "subject_id": school.subject.id,
        "due_at": DUE,
        "student_ids": [school.student.id],
    }
    data.update(changes)
    return data


def create(testapp, school, who="teacher", status=201, **changes):
    return testapp.post_json(
        "/api/assignments/", body(school, **changes), headers=school.h[who], status=status
    )


def url(assignment_id, action=""):
    return f"/api/assignments/{assignment_id}/" + (f"{action}/" if action else "")


# --- create ---------------------------------------------------------------------------------


def test_teacher_creates_a_draft_with_rubric_and_policy(testapp, school):
    res = create(
        testapp,
        school,
        max_score=50,
        attempts_limit=3,
        allow_late=True,
        late_deadline="2027-03-12T12:00:00+03:00",
        penalty_type="percentage",
        penalty_value="2.5",
        penalty_frequency="per_hour",
        max_penalty=30,
        rubric=[
            {"name": "Method", "max_points": 30},
            {"name": "Answer", "description": "Exact", "max_points": "20.00"},
        ],
    )
    data = res.json
    assert res.headers["Location"].endswith(url(data["id"]))
    assert data["status"] == "draft"
    assert data["author_id"] == school.teacher.id
    assert data["max_score"] == "50.00"
    assert data["due_at"] == "2027-03-10T09:00:00+00:00"  # stored in UTC
    assert data["late_deadline"] == "2027-03-12T09:00:00+00:00"
    assert (data["penalty_type"], data["penalty_value"], data["max_penalty"]) == (
        "percentage",
        "2.50",
        "30.00",
    )
    assert [(c["name"], c["max_points"], c["position"]) for c in data["rubric"]] == [
        ("Method", "30.00", 0),
        ("Answer", "20.00", 1),
    ]
    assert data["student_ids"] == [school.student.id]
    assert "extension" not in data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_score": "12.345"}, "max_score"),
        ({"max_score": 0}, "max_score"),
        ({"max_score": True}, "max_score"),
        ({"due_at": "2027-03-10T12:00:00"}, "due_at"),  # no offset
        ({"start_at": "2027-03-11T12:00:00+03:00"}, "start_at"),  # after the due date
        ({"late_deadline": "2027-03-11T12:00:00+03:00"}, "late_deadline"),  # no allow_late
        ({"allow_late": True, "late_deadline": DUE}, "late_deadline"),  # not after due
        ({"allow_late": True, "penalty_type": "fixed", "penalty_value": 5}, "penalty_frequency"),
        ({"penalty_value": 5}, "penalty_type"),
        (
            {
                "allow_late": True,
                "penalty_type": "percentage",
                "penalty_frequency": "per_day",
                "penalty_value": 120,
            },
            "penalty_value",
        ),
        (
            {"penalty_type": "fixed", "penalty_frequency": "per_day", "penalty_value": 1},
            "penalty_type",  # a penalty without late submissions
        ),
        ({"penalty_frequency": "weekly"}, "penalty_frequency"),
        ({"rubric": [{"name": "A", "max_points": 60}, {"name": "B", "max_points": 41}]}, "rubric"),
        ({"rubric": [{"name": "A", "max_points": 0}]}, "rubric.0.max_points"),
        ({"subject_id": 999_999}, "subject_id"),
        ({"type": "quiz"}, "type"),
        ({"attempts_limit": 0}, "attempts_limit"),
        ({"colour": "red"}, ""),  # unknown field
    ],
)
def test_invalid_bodies_are_400_naming_the_field(testapp, school, changes, field):
    res = create(testapp, school, status=400, **changes)
    assert res.content_type == "application/problem+json"
    assert field in {e["name"] for e in res.json["errors"]}, res.json


def test_only_students_the_author_may_assign(testapp, school):
    res = create(testapp, school, status=400, student_ids=[school.outsider.id])
    assert res.json["errors"][0]["name"] == "student_ids"
    assert str(school.outsider.id) in res.json["errors"][0]["description"]
    res = create(testapp, school, status=400, student_ids=[school.parent.id])  # not a student
    # admins may assign any student
    create(testapp, school, who="admin", student_ids=[school.outsider.id])


@pytest.mark.parametrize(("who", "status"), [("stranger", 403), ("student", 403), ("parent", 403)])
def test_who_may_not_create(testapp, school, who, status):
    res = create(testapp, school, who=who, status=status)
    assert res.json["status"] == status


def test_anonymous_gets_401(testapp, school):
    res = testapp.get("/api/assignments/", status=401)
    assert res.headers["WWW-Authenticate"] == "Token"


# --- edit -----------------------------------------------------------------------------------


def test_author_edits_and_etag_guards_against_stale_writes(testapp, school):
    created = create(testapp, school).json
    res = testapp.get(url(created["id"]), headers=school.h["teacher"])
    etag = res.headers["ETag"]
    res = testapp.patch_json(
        url(created["id"]),
        {"title": "Fractions II", "max_score": "20", "student_ids": [school.enrolled.id]},
        headers={**school.h["teacher"], "If-Match": etag},
    )
    assert (res.json["title"], res.json["max_score"]) == ("Fractions II", "20.00")
    assert res.json["student_ids"] == [school.enrolled.id]
    testapp.patch_json(
        url(created["id"]),
        {"title": "Stale"},
        headers={**school.h["teacher"], "If-Match": etag},
        status=412,
    )
    testapp.get(
        url(created["id"]), headers={**school.h["teacher"], "If-None-Match": etag}, status=200
    )
    same = testapp.get(url(created["id"]), headers=school.h["teacher"]).headers["ETag"]
    testapp.get(
        url(created["id"]), headers={**school.h["teacher"], "If-None-Match": same}, status=304
    )


def test_only_author_or_admin_edits(testapp, school):
    assignment = AssignmentFactory(author_id=school.teacher.id, subject_id=school.subject.id)
    AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=school.student.id)
    for who, status in [("colleague", 403), ("student", 403), ("stranger", 404)]:
        testapp.patch_json(
            url(assignment.id), {"title": "X"}, headers=school.h[who], status=status
        )
    testapp.patch_json(url(assignment.id), {"title": "By admin"}, headers=school.h["admin"])
    res = testapp.patch_json(url(assignment.id), {"title": "Back"}, headers=school.h["teacher"])
    assert res.json["title"] == "Back"


def test_locked_fields(testapp, school, dbsession):
    assignment = AssignmentFactory(author_id=school.teacher.id, subject_id=school.subject.id)
    other = SubjectFactory()
    TeacherSubjectFactory(teacher_id=school.teacher.id, subject_id=other.id)
    res = testapp.patch_json(
        url(assignment.id), {"subject_id": other.id}, headers=school.h["teacher"], status=409
    )
    assert res.json["type"].endswith("/conflict")
    submission = AssignmentSubmissionFactory(
        assignment_id=assignment.id, student_id=school.student.id, status="graded"
    )
    GradeFactory(submission_id=submission.id)
    for change in ({"max_score": 90}, {"rubric": [{"name": "All", "max_points": 100}]}):
        testapp.patch_json(url(assignment.id), change, headers=school.h["teacher"], status=409)
    res = testapp.patch_json(
        url(assignment.id), {"title": "Still fine"}, headers=school.h["teacher"]
    )
    assert res.json["title"] == "Still fine"


def test_rubric_is_replaced_by_patch(testapp, school, dbsession):
    created = create(testapp, school, rubric=[{"name": "Old", "max_points": 10}]).json
    res = testapp.patch_json(
        url(created["id"]),
        {"rubric": [{"name": "New A", "max_points": 40}, {"name": "New B", "max_points": 60}]},
        headers=school.h["teacher"],
    )
    assert [c["name"] for c in res.json["rubric"]] == ["New A", "New B"]
    names = dbsession.execute(
        select(RubricCriterion.name).where(RubricCriterion.assignment_id == created["id"])
    ).scalars()
    assert sorted(names) == ["New A", "New B"]


# --- publish, close ---------------------------------------------------------------------------


def emails(broker):
    return [dramatiq.Message.decode(m) for m in list(broker.queues["email"].queue)]


def test_publish_notifies_explicit_and_enrolled_students_after_commit(
    testapp, school, dbsession, broker
):
    created = create(testapp, school, assign_to_subject=True).json
    assert emails(broker) == []
    res = testapp.post_json(url(created["id"], "publish"), {}, headers=school.h["teacher"])
    assert res.json["status"] == "published" and res.json["published_at"]
    rows = dbsession.execute(
        select(Notification.user_id, Notification.kind).where(
            Notification.kind == "assignments.published"
        )
    ).all()
    assert sorted(rows) == sorted(
        [
            (school.student.id, "assignments.published"),
            (school.enrolled.id, "assignments.published"),
        ]
    )
    recipients = sorted(m.args[0][0] for m in emails(broker))
    assert recipients == sorted([school.student.email, school.enrolled.email])
    again = testapp.post_json(
        url(created["id"], "publish"), {}, headers=school.h["teacher"], status=409
    )
    assert "draft" in again.json["detail"]


def test_publish_without_assignees_is_refused(testapp, school, broker):
    created = create(testapp, school, student_ids=[]).json
    testapp.post_json(url(created["id"], "publish"), {}, headers=school.h["teacher"], status=409)
    assert emails(broker) == []


def test_publish_and_close_need_the_author(testapp, school):
    created = create(testapp, school).json
    testapp.post_json(url(created["id"], "publish"), {}, headers=school.h["colleague"], status=404)
    testapp.post_json(url(created["id"], "close"), {}, headers=school.h["teacher"], status=409)
    testapp.post_json(url(created["id"], "publish"), {}, headers=school.h["teacher"])
    testapp.post_json(url(created["id"], "close"), {}, headers=school.h["colleague"], status=403)
    testapp.post_json(url(created["id"], "close"), {}, headers=school.h["student"], status=403)
    res = testapp.post_json(url(created["id"], "close"), {}, headers=school.h["teacher"])
    assert res.json["status"] == "closed" and res.json["closed_at"]
    testapp.post_json(url(created["id"], "close"), {}, headers=school.h["teacher"], status=409)
    testapp.post_json(
        url(created["id"], "close"), {"now": True}, headers=school.h["teacher"], status=400
    )


def test_newly_assigned_students_of_a_published_assignment_are_notified(
    testapp, school, dbsession, make_user
):
    created = create(testapp, school).json
    testapp.post_json(url(created["id"], "publish"), {}, headers=school.h["teacher"])
    late_joiner = make_user("student")
    EnrollmentFactory(
        student_id=late_joiner.id, subject_id=school.subject.id, teacher_id=school.teacher.id
    )

    def notified():
        rows = dbsession.execute(
            select(Notification.user_id).where(Notification.kind == "assignments.published")
        )
        return sorted(rows.scalars())

    assert notified() == [school.student.id]
    testapp.patch_json(
        url(created["id"]),
        {"student_ids": [school.student.id, school.enrolled.id]},
        headers=school.h["teacher"],
    )
    assert notified() == sorted([school.student.id, school.enrolled.id])
    # the whole subject: only the enrolled students not yet assigned are told
    testapp.patch_json(
        url(created["id"]), {"assign_to_subject": True}, headers=school.h["teacher"]
    )
    assert notified() == sorted([school.student.id, school.enrolled.id, late_joiner.id])


# --- clone, delete --------------------------------------------------------------------------


def test_clone_is_a_draft_copy_with_rubric(testapp, school, dbsession):
    source = AssignmentFactory(
        author_id=school.teacher.id, subject_id=school.subject.id, max_score=Decimal("30")
    )
    AssignmentAssigneeFactory(assignment_id=source.id, student_id=school.student.id)
    criterion = RubricCriterionFactory(assignment_id=source.id, name="Style", max_points=10)
    res = testapp.post_json(url(source.id, "clone"), {}, headers=school.h["colleague"], status=201)
    copy = res.json
    assert copy["status"] == "draft" and copy["published_at"] is None
    assert copy["author_id"] == school.colleague.id
    assert copy["cloned_from_id"] == source.id
    assert copy["title"] == f"{source.title} (copy)"
    assert copy["max_score"] == "30.00"
    assert [(c["name"], c["max_points"]) for c in copy["rubric"]] == [("Style", "10.00")]
    assert copy["rubric"][0]["id"] != criterion.id
    assert copy["student_ids"] == [school.student.id]
    assert res.headers["Location"].endswith(url(copy["id"]))
    testapp.post_json(url(source.id, "clone"), {}, headers=school.h["student"], status=403)


def test_delete_rules(testapp, school, dbsession):
    draft = AssignmentFactory(
        author_id=school.teacher.id, subject_id=school.subject.id, status="draft"
    )
    quiet = AssignmentFactory(author_id=school.teacher.id, subject_id=school.subject.id)
    busy = AssignmentFactory(author_id=school.teacher.id, subject_id=school.subject.id)
    closed = AssignmentFactory(
        author_id=school.teacher.id, subject_id=school.subject.id, status="closed"
    )
    for assignment in (busy, closed):
        AssignmentSubmissionFactory(assignment_id=assignment.id, student_id=school.student.id)
        AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=school.student.id)
    testapp.delete(url(quiet.id), headers=school.h["colleague"], status=403)
    testapp.delete(url(draft.id), headers=school.h["teacher"], status=204)
    testapp.delete(url(quiet.id), headers=school.h["admin"], status=204)
    for assignment in (busy, closed):
        res = testapp.delete(url(assignment.id), headers=school.h["teacher"], status=409)
        assert "close" in res.json["detail"]
    testapp.delete(url(busy.id), headers=school.h["student"], status=403)
    left = dbsession.execute(
        select(Assignment.id).where(Assignment.author_id == school.teacher.id)
    )
    assert sorted(left.scalars()) == sorted([busy.id, closed.id])


# --- lists ----------------------------------------------------------------------------------


def test_list_filters_and_student_sees_only_theirs(testapp, school):
    mine = AssignmentFactory(author_id=school.teacher.id, subject_id=school.subject.id)
    AssignmentAssigneeFactory(assignment_id=mine.id, student_id=school.student.id)
    draft = AssignmentFactory(
        author_id=school.teacher.id, subject_id=school.subject.id, status="draft"
    )
    AssignmentAssigneeFactory(assignment_id=draft.id, student_id=school.student.id)
    other = AssignmentFactory()  # another subject and author
    res = testapp.get("/api/assignments/", headers=school.h["student"])
    assert [a["id"] for a in res.json["items"]] == [mine.id]
    assert res.json["items"][0]["extension"] is None
    assert "student_ids" not in res.json["items"][0]
    res = testapp.get(
        "/api/assignments/",
        {"status": "draft", "subject": school.subject.id},
        headers=school.h["teacher"],
    )
    assert [a["id"] for a in res.json["items"]] == [draft.id]
    res = testapp.get(
        "/api/assignments/", {"author": school.teacher.id}, headers=school.h["admin"]
    )
    assert {a["id"] for a in res.json["items"]} == {mine.id, draft.id}
    res = testapp.get("/api/assignments/", headers=school.h["admin"])
    assert other.id in {a["id"] for a in res.json["items"]}
    testapp.get("/api/assignments/", {"status": "archived"}, headers=school.h["admin"], status=400)
    testapp.get("/api/assignments/", {"sort": "title"}, headers=school.h["admin"], status=400)


def test_list_is_cursor_paginated(testapp, school):
    ids = [
        AssignmentFactory(author_id=school.teacher.id, subject_id=school.subject.id).id
        for _ in range(5)
    ]
    first = testapp.get("/api/assignments/", {"limit": 2}, headers=school.h["teacher"])
    assert [a["id"] for a in first.json["items"]] == sorted(ids, reverse=True)[:2]
    assert 'rel="next"' in first.headers["Link"]
    second = testapp.get(
        "/api/assignments/",
        {"limit": 2, "cursor": first.json["next_cursor"]},
        headers=school.h["teacher"],
    )
    assert [a["id"] for a in second.json["items"]] == sorted(ids, reverse=True)[2:4]
    testapp.get("/api/assignments/", {"cursor": "!!"}, headers=school.h["teacher"], status=400)


@pytest.mark.parametrize("who", ["teacher", "student", "admin"])
def test_list_runs_a_constant_number_of_queries(testapp, school, queries_for_1_and_30, who):
    def add(n):
        for _ in range(n):
            assignment = AssignmentFactory(
                author_id=school.teacher.id, subject_id=school.subject.id
            )
            AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=school.student.id)
            RubricCriterionFactory(assignment_id=assignment.id)
            RubricCriterionFactory(assignment_id=assignment.id)

    def fetch():
        return testapp.get("/api/assignments/", headers=school.h[who]).json["items"]

    fetch()  # warm-up (token, caches)
    queries_for_1_and_30(add, fetch)
