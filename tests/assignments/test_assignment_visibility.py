"""Who sees an assignment and its submissions: role x relation x status -> 200 / 403 / 404,
and the list agrees with the single-object answer for every viewer."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import update

from factories import (
    AssignmentAssigneeFactory,
    AssignmentFactory,
    AssignmentSubmissionFactory,
    EnrollmentFactory,
    ParentLinkFactory,
    SubjectFactory,
    TeacherSubjectFactory,
)
from thebot.accounts.models import StudentProfile
from thebot.catalog.models import Enrollment

VIEWERS = (
    "admin",
    "author",
    "subject_teacher",
    "other_teacher",
    "assigned_student",
    "enrolled_student",
    "other_student",
    "parent",
    "other_parent",
    "tutor",
    "other_tutor",
)
# Who sees a published or closed assignment (drafts: admin and author only).
SEES_PUBLISHED = {
    "admin",
    "author",
    "subject_teacher",
    "assigned_student",
    "enrolled_student",
    "parent",
    "tutor",
}
OWNERS = {"admin", "author"}


@pytest.fixture
def world(dbsession, make_user, auth_headers):
    subject = SubjectFactory()
    users = {
        "admin": make_user("admin"),
        "author": make_user("teacher"),
        "subject_teacher": make_user("teacher"),
        "other_teacher": make_user("teacher"),
        "assigned_student": make_user("student"),
        "enrolled_student": make_user("student"),
        "other_student": make_user("student"),
        "parent": make_user("parent"),
        "other_parent": make_user("parent"),
        "tutor": make_user("tutor"),
        "other_tutor": make_user("tutor"),
    }
    for name in ("author", "subject_teacher"):
        TeacherSubjectFactory(teacher_id=users[name].id, subject_id=subject.id)
    EnrollmentFactory(
        student_id=users["enrolled_student"].id,
        subject_id=subject.id,
        teacher_id=users["author"].id,
    )
    ParentLinkFactory(student=users["assigned_student"], parent=users["parent"])
    ParentLinkFactory(student=users["other_student"], parent=users["other_parent"])
    dbsession.get(StudentProfile, users["assigned_student"].id).tutor_id = users["tutor"].id
    dbsession.get(StudentProfile, users["other_student"].id).tutor_id = users["other_tutor"].id
    dbsession.flush()

    def make(status):
        assignment = AssignmentFactory(
            author_id=users["author"].id,
            subject_id=subject.id,
            status=status,
            assign_to_subject=True,
        )
        AssignmentAssigneeFactory(
            assignment_id=assignment.id, student_id=users["assigned_student"].id
        )
        return assignment

    return SimpleNamespace(users=users, subject=subject, make=make, headers=auth_headers)


def expected_view(viewer, status):
    visible = viewer in OWNERS if status == "draft" else viewer in SEES_PUBLISHED
    return 200 if visible else 404


@pytest.mark.parametrize("status", ["draft", "published", "closed"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_get_and_list_agree_with_the_matrix(testapp, world, viewer, status):
    assignment = world.make(status)
    headers = world.headers(world.users[viewer])
    expected = expected_view(viewer, status)
    res = testapp.get(f"/api/assignments/{assignment.id}/", headers=headers, status=expected)
    listed = testapp.get("/api/assignments/", headers=headers).json["items"]
    assert (assignment.id in {a["id"] for a in listed}) is (expected == 200)
    if expected == 200:
        staff = viewer in OWNERS | {"subject_teacher"}
        assert ("student_ids" in res.json) is staff  # classmates stay private
        assert ("extension" in res.json) is viewer.endswith("_student")
    else:
        assert res.json["type"].endswith("/not-found")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_what_each_viewer_may_do_on_a_published_assignment(testapp, world, viewer):
    assignment = world.make("published")
    headers = world.headers(world.users[viewer])
    if expected_view(viewer, "published") == 404:
        for path in ("", "stats/", "submissions/", "extensions/"):
            testapp.get(f"/api/assignments/{assignment.id}/{path}", headers=headers, status=404)
        return
    owner = viewer in OWNERS
    grader = owner or viewer == "subject_teacher"
    testapp.patch_json(
        f"/api/assignments/{assignment.id}/",
        {"title": "Renamed"},
        headers=headers,
        status=200 if owner else 403,
    )
    testapp.get(
        f"/api/assignments/{assignment.id}/stats/", headers=headers, status=200 if grader else 403
    )
    testapp.get(f"/api/assignments/{assignment.id}/submissions/", headers=headers, status=200)
    testapp.get(f"/api/assignments/{assignment.id}/extensions/", headers=headers, status=200)
    submit = testapp.post_json(
        f"/api/assignments/{assignment.id}/submissions/",
        {"text": "Done"},
        headers=headers,
        status="*",
    )
    assert submit.status_int == (201 if viewer.endswith("_student") else 403)
    clone = testapp.post_json(
        f"/api/assignments/{assignment.id}/clone/", {}, headers=headers, status="*"
    )
    assert clone.status_int == (201 if grader else 403)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_who_sees_a_submission(testapp, world, viewer):
    assignment = world.make("published")
    submission = AssignmentSubmissionFactory(
        assignment_id=assignment.id, student_id=world.users["assigned_student"].id
    )
    headers = world.headers(world.users[viewer])
    sees = {"admin", "author", "subject_teacher", "assigned_student", "parent", "tutor"}
    grades = {"admin", "author", "subject_teacher"}
    path = f"/api/assignments/submissions/{submission.id}/"
    res = testapp.get(path, headers=headers, status=200 if viewer in sees else 404)
    if viewer in sees:
        assert res.json["student_id"] == world.users["assigned_student"].id
    expected_grade = 200 if viewer in grades else (403 if viewer in sees else 404)
    testapp.post_json(path + "grade/", {"score": 50}, headers=headers, status=expected_grade)
    # the list shows the submission to the same people (the enrolled classmate sees the
    # assignment, not the classmate's work)
    if expected_view(viewer, "published") == 200:
        items = testapp.get(
            f"/api/assignments/{assignment.id}/submissions/", headers=headers
        ).json["items"]
        assert (submission.id in {s["id"] for s in items}) is (viewer in sees)


def test_a_student_who_left_still_sees_what_they_submitted(testapp, world, dbsession):
    assignment = world.make("published")
    leaver = world.users["enrolled_student"]
    AssignmentSubmissionFactory(assignment_id=assignment.id, student_id=leaver.id)
    quitter = world.users["other_student"]
    EnrollmentFactory(student_id=quitter.id, subject_id=world.subject.id, status="dropped")
    dbsession.execute(
        update(Enrollment).where(Enrollment.student_id == leaver.id).values(status="dropped")
    )
    dbsession.flush()
    testapp.get(f"/api/assignments/{assignment.id}/", headers=world.headers(leaver), status=200)
    # no longer assigned: may not submit again
    testapp.post_json(
        f"/api/assignments/{assignment.id}/submissions/",
        {"text": "Again"},
        headers=world.headers(leaver),
        status=403,
    )
    testapp.get(f"/api/assignments/{assignment.id}/", headers=world.headers(quitter), status=404)


def test_inactive_users_see_nothing(testapp, world, dbsession):
    assignment = world.make("published")
    student = world.users["assigned_student"]
    headers = world.headers(student)
    student.is_active = False
    dbsession.flush()
    testapp.get(f"/api/assignments/{assignment.id}/", headers=headers, status=401)
