"""Who sees a report: role x relation to the student x report state, for single reports and
lists alike, and who may act on what they see."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from factories import EnrollmentFactory, ParentLinkFactory, StudentReportFactory, SubjectFactory
from thebot.accounts.models import StudentProfile

UTC = dt.timezone.utc
SENT_AT = dt.datetime(2026, 3, 9, 8, tzinfo=UTC)

# Report states: (status, sent_at set?) -- an archived draft was never sent.
STATES = {
    "draft": ("draft", False),
    "sent": ("sent", True),
    "read": ("read", True),
    "archived_after_sending": ("archived", True),
    "archived_draft": ("archived", False),
}
SENT_STATES = {"sent", "read", "archived_after_sending"}
ALL = set(STATES)

# viewer -> the states in which they see the tutor's report about the student,
# for show_to_parent true / false.
EXPECTED = {
    "admin": (ALL, ALL),
    "author_tutor": (ALL, ALL),
    "enrolled_teacher": (SENT_STATES, SENT_STATES),  # teaches the student
    "stranger_teacher": (set(), set()),
    "other_tutor": (set(), set()),
    "student": (SENT_STATES, SENT_STATES),
    "other_student": (set(), set()),
    "parent": (SENT_STATES, set()),
    "other_parent": (set(), set()),
}


@pytest.fixture
def world(make_user, auth_headers):
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    teacher = make_user("teacher")
    EnrollmentFactory(student_id=student.id, teacher_id=teacher.id, subject_id=SubjectFactory().id)
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    other_student = make_user("student", profile={"tutor_id": make_user("tutor").id})
    other_parent = make_user("parent")
    ParentLinkFactory(student=other_student, parent=other_parent)
    viewers = {
        "admin": make_user("admin"),
        "author_tutor": tutor,
        "enrolled_teacher": teacher,
        "stranger_teacher": make_user("teacher"),
        "other_tutor": make_user("tutor"),
        "student": student,
        "other_student": other_student,
        "parent": parent,
        "other_parent": other_parent,
    }
    return SimpleNamespace(
        tutor=tutor,
        teacher=teacher,
        student=student,
        parent=parent,
        viewers=viewers,
        headers={name: auth_headers(user) for name, user in viewers.items()},
    )


def make_report(world, state, show_to_parent=True, author=None):
    status, sent = STATES[state]
    report = StudentReportFactory(
        student_id=world.student.id,
        author_id=(author or world.tutor).id,
        status=status,
        show_to_parent=show_to_parent,
        sent_at=SENT_AT if sent else None,
    )
    return report


@pytest.mark.parametrize("show_to_parent", [True, False], ids=["shown", "hidden"])
@pytest.mark.parametrize("viewer", sorted(EXPECTED))
def test_visibility_matrix(testapp, world, dbsession, viewer, show_to_parent):
    reports = {state: make_report(world, state, show_to_parent) for state in STATES}
    dbsession.flush()
    expected = EXPECTED[viewer][0 if show_to_parent else 1]
    headers = world.headers[viewer]
    for state, report in reports.items():
        want = 200 if state in expected else 404
        res = testapp.get(f"/api/reports/{report.id}/", headers=headers, status=want)
        if want == 404:
            assert res.content_type == "application/problem+json"
    listed = testapp.get("/api/reports/", headers=headers).json["items"]
    assert {r["id"] for r in listed} == {reports[s].id for s in expected}


def test_teacher_sees_own_drafts_and_the_tutor_sees_them_only_once_sent(testapp, world, dbsession):
    draft = make_report(world, "draft", author=world.teacher)
    sent = make_report(world, "sent", author=world.teacher)
    dbsession.flush()
    teacher_ids = {
        r["id"]
        for r in testapp.get("/api/reports/", headers=world.headers["enrolled_teacher"]).json[
            "items"
        ]
    }
    assert {draft.id, sent.id} <= teacher_ids
    testapp.get(f"/api/reports/{draft.id}/", headers=world.headers["author_tutor"], status=404)
    testapp.get(f"/api/reports/{sent.id}/", headers=world.headers["author_tutor"])


def test_an_author_who_no_longer_teaches_still_sees_their_report(testapp, world, dbsession):
    report = make_report(world, "draft")
    dbsession.get(StudentProfile, world.student.id).tutor_id = None
    dbsession.flush()
    testapp.get(f"/api/reports/{report.id}/", headers=world.headers["author_tutor"])


@pytest.mark.parametrize(
    "viewer, action, want",
    [
        ("enrolled_teacher", "send", 403),
        ("enrolled_teacher", "archive", 403),
        ("enrolled_teacher", "acknowledge", 403),
        ("student", "acknowledge", 403),
        ("student", "archive", 403),
        ("parent", "archive", 403),
        ("parent", "acknowledge", 200),
        ("other_parent", "acknowledge", 404),
        ("stranger_teacher", "archive", 404),
        ("admin", "archive", 200),
        ("author_tutor", "archive", 200),
    ],
)
def test_actions_on_a_sent_report(testapp, world, dbsession, viewer, action, want):
    report = make_report(world, "sent")
    dbsession.flush()
    url = f"/api/reports/{report.id}/{action}/"
    testapp.post_json(url, {}, headers=world.headers[viewer], status=want)


@pytest.mark.parametrize("viewer", ["enrolled_teacher", "student", "parent"])
def test_readers_cannot_patch(testapp, world, dbsession, viewer):
    report = make_report(world, "sent")
    dbsession.flush()
    testapp.patch_json(
        f"/api/reports/{report.id}/", {"summary": "x"}, headers=world.headers[viewer], status=403
    )


def test_parent_cannot_acknowledge_a_report_hidden_from_parents(testapp, world, dbsession):
    report = make_report(world, "sent", show_to_parent=False)
    dbsession.flush()
    testapp.post_json(
        f"/api/reports/{report.id}/acknowledge/", {}, headers=world.headers["parent"], status=404
    )


def test_the_student_filter_cannot_widen_what_is_seen(testapp, world, dbsession):
    make_report(world, "sent")
    dbsession.flush()
    res = testapp.get(
        "/api/reports/",
        {"student": world.student.id},
        headers=world.headers["other_parent"],
    )
    assert res.json["items"] == []


def test_the_monitoring_token_sees_nothing(testapp, world, dbsession, monitor_headers):
    report = make_report(world, "sent")
    dbsession.flush()
    testapp.get("/api/reports/", headers=monitor_headers, status=403)
    testapp.get(f"/api/reports/{report.id}/", headers=monitor_headers, status=403)
