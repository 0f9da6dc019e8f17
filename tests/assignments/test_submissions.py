"""Submitting: the window (start, due, late deadline, closed), attempts and versions,
returning and resubmitting, extensions, files, lists and their query counts.

Time is frozen with time-machine; tokens are issued at the frozen time, so a test that moves
the clock past a day asks for fresh headers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import func, select

from factories import (
    AssignmentAssigneeFactory,
    AssignmentExtensionFactory,
    AssignmentFactory,
    AssignmentSubmissionFactory,
    GradeFactory,
    MediaFileFactory,
    ParentLinkFactory,
    SubjectFactory,
    TeacherSubjectFactory,
)
from thebot.assignments.models import AssignmentSubmission, AssignmentSubmissionFile, Grade
from thebot.media.models import MediaFile

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def klass(clock, dbsession, make_user, auth_headers):
    subject = SubjectFactory()
    teacher = make_user("teacher")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    student = make_user("student")
    classmate = make_user("student")
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)

    def assignment(**kw):
        kw.setdefault("due_at", NOW + DAY)
        made = AssignmentFactory(author_id=teacher.id, subject_id=subject.id, **kw)
        for who in (student, classmate):
            AssignmentAssigneeFactory(assignment_id=made.id, student_id=who.id)
        return made

    return SimpleNamespace(
        subject=subject,
        teacher=teacher,
        student=student,
        classmate=classmate,
        parent=parent,
        assignment=assignment,
        h=auth_headers,
    )


def submit(testapp, klass, assignment, text="My answer", who=None, status=201, **kw):
    return testapp.post_json(
        f"/api/assignments/{assignment.id}/submissions/",
        {"text": text},
        headers=klass.h(who or klass.student),
        status=status,
        **kw,
    )


def test_on_time_submission(testapp, klass):
    assignment = klass.assignment()
    res = submit(testapp, klass, assignment)
    data = res.json
    assert (data["attempt"], data["status"], data["is_late"], data["counts"]) == (
        1,
        "submitted",
        False,
        True,
    )
    assert data["submitted_at"] == NOW.isoformat()
    assert (data["lateness_seconds"], data["grade"], data["files"]) == (0, None, [])
    assert res.headers["Location"].endswith(f"/api/assignments/submissions/{data['id']}/")


def test_before_the_start_is_409(testapp, klass, clock):
    assignment = klass.assignment(start_at=NOW + HOUR)
    res = submit(testapp, klass, assignment, status=409)
    assert res.json["reason"] == "not_started"
    clock.move_to(NOW + HOUR)
    submit(testapp, klass, assignment)


def test_after_the_due_date_without_late_work_is_409(testapp, klass, clock):
    assignment = klass.assignment(due_at=NOW - dt.timedelta(seconds=1))
    res = submit(testapp, klass, assignment, status=409)
    assert res.json["reason"] == "past_due"
    assert res.json["type"].endswith("/conflict")


def test_late_submission_is_accepted_and_marked_until_the_late_deadline(testapp, klass, clock):
    assignment = klass.assignment(
        due_at=NOW - HOUR - dt.timedelta(seconds=1), allow_late=True, late_deadline=NOW + DAY
    )
    data = submit(testapp, klass, assignment).json
    assert (data["is_late"], data["lateness_seconds"]) == (True, 3601)
    clock.move_to(NOW + DAY + dt.timedelta(seconds=1))
    res = submit(testapp, klass, assignment, who=klass.classmate, status=409)
    assert res.json["reason"] == "past_late_deadline"


def test_closed_assignment_takes_no_submissions(testapp, klass):
    assignment = klass.assignment(status="closed")
    assert submit(testapp, klass, assignment, status=409).json["reason"] == "closed"


def test_attempts_are_versions_and_the_latest_counts(testapp, klass, clock, dbsession):
    assignment = klass.assignment(attempts_limit=2)
    first = submit(testapp, klass, assignment, text="v1").json
    clock.shift(60)
    second = submit(testapp, klass, assignment, text="v2").json
    assert (first["attempt"], second["attempt"]) == (1, 2)
    res = submit(testapp, klass, assignment, text="v3", status=409)
    assert res.json["reason"] == "attempts_exhausted"
    rows = dbsession.execute(
        select(
            AssignmentSubmission.attempt, AssignmentSubmission.text, AssignmentSubmission.counts
        )
        .where(AssignmentSubmission.student_id == klass.student.id)
        .order_by(AssignmentSubmission.attempt)
    ).all()
    assert rows == [(1, "v1", False), (2, "v2", True)]


def test_graded_work_must_be_returned_before_resubmitting(testapp, klass, clock, dbsession):
    assignment = klass.assignment(attempts_limit=2)
    first = submit(testapp, klass, assignment).json
    teacher = klass.h(klass.teacher)
    testapp.post_json(
        f"/api/assignments/submissions/{first['id']}/grade/", {"score": 40}, headers=teacher
    )
    assert submit(testapp, klass, assignment, status=409).json["reason"] == "graded"
    res = testapp.post_json(
        f"/api/assignments/submissions/{first['id']}/return/",
        {"reason": "Show your working."},
        headers=teacher,
    )
    assert res.json["status"] == "returned"
    assert res.json["grade"]["raw_score"] == "40.00"  # kept as history
    testapp.post_json(
        f"/api/assignments/submissions/{first['id']}/return/", {}, headers=teacher, status=409
    )
    second = submit(testapp, klass, assignment, text="With working").json
    assert (second["attempt"], second["counts"]) == (2, True)
    # no attempts left: returning would be pointless
    testapp.post_json(
        f"/api/assignments/submissions/{first['id']}/return/", {}, headers=teacher, status=409
    )
    res = testapp.post_json(
        f"/api/assignments/submissions/{second['id']}/return/", {}, headers=teacher, status=409
    )
    assert "attempt" in res.json["detail"]


def test_return_needs_a_grader_and_an_open_assignment(testapp, klass, dbsession):
    assignment = klass.assignment(attempts_limit=3)
    data = submit(testapp, klass, assignment).json
    path = f"/api/assignments/submissions/{data['id']}/return/"
    testapp.post_json(path, {}, headers=klass.h(klass.student), status=403)
    testapp.post_json(path, {}, headers=klass.h(klass.parent), status=403)
    testapp.post_json(path, {"why": "x"}, headers=klass.h(klass.teacher), status=400)
    assignment.status = "closed"
    dbsession.flush()
    testapp.post_json(path, {}, headers=klass.h(klass.teacher), status=409)


# --- extensions -----------------------------------------------------------------------------


def test_an_extension_moves_the_due_date_of_one_student(testapp, klass, clock):
    assignment = klass.assignment(due_at=NOW - HOUR)
    teacher = klass.h(klass.teacher)
    res = testapp.post_json(
        f"/api/assignments/{assignment.id}/extensions/",
        {"student_id": klass.student.id, "due_at": "2026-09-02T12:00:00+03:00", "reason": "Ill"},
        headers=teacher,
        status=201,
    )
    assert res.json["due_at"] == "2026-09-02T09:00:00+00:00"
    assert res.headers["Location"].endswith(
        f"/api/assignments/{assignment.id}/extensions/{klass.student.id}/"
    )
    data = submit(testapp, klass, assignment).json
    assert data["is_late"] is False
    submit(testapp, klass, assignment, who=klass.classmate, status=409)  # no extension
    mine = testapp.get(f"/api/assignments/{assignment.id}/", headers=klass.h(klass.student))
    assert mine.json["extension"]["due_at"] == "2026-09-02T09:00:00+00:00"
    # changing it answers 200
    res = testapp.post_json(
        f"/api/assignments/{assignment.id}/extensions/",
        {"student_id": klass.student.id, "due_at": "2026-09-03T09:00:00Z"},
        headers=teacher,
    )
    assert res.status_int == 200 and res.json["reason"] == ""


def test_extension_late_deadline_follows_the_grace_period(testapp, klass, clock):
    assignment = klass.assignment(due_at=NOW - 2 * DAY, allow_late=True, late_deadline=NOW - DAY)
    submit(testapp, klass, assignment, status=409)  # past the late deadline
    AssignmentExtensionFactory(
        assignment_id=assignment.id, student_id=klass.student.id, due_at=NOW - HOUR
    )
    data = submit(testapp, klass, assignment).json  # late deadline moved to NOW + 23 h
    assert (data["is_late"], data["lateness_seconds"]) == (True, 3600)


def test_granting_and_revoking_reevaluates_lateness_and_penalties(testapp, klass, dbsession):
    assignment = klass.assignment(
        due_at=NOW - DAY - HOUR,
        allow_late=True,
        penalty_type="fixed",
        penalty_value=Decimal("5"),
        penalty_frequency="per_day",
    )
    data = submit(testapp, klass, assignment).json
    assert data["lateness_seconds"] == 90000  # 25 hours: 2 started days
    teacher = klass.h(klass.teacher)
    graded = testapp.post_json(
        f"/api/assignments/submissions/{data['id']}/grade/", {"score": 80}, headers=teacher
    ).json["grade"]
    assert (graded["penalty"], graded["final_score"]) == ("10.00", "70.00")
    testapp.post_json(
        f"/api/assignments/{assignment.id}/extensions/",
        {"student_id": klass.student.id, "due_at": (NOW - HOUR).isoformat()},
        headers=teacher,
        status=201,
    )
    after = testapp.get(f"/api/assignments/submissions/{data['id']}/", headers=teacher).json
    assert (after["is_late"], after["lateness_seconds"]) == (True, 3600)
    assert (after["grade"]["penalty"], after["grade"]["final_score"]) == ("5.00", "75.00")
    testapp.delete(
        f"/api/assignments/{assignment.id}/extensions/{klass.student.id}/",
        headers=teacher,
        status=204,
    )
    grade = dbsession.scalar(select(Grade).where(Grade.submission_id == data["id"]))
    dbsession.refresh(grade)
    assert (grade.penalty, grade.final_score) == (Decimal("10.00"), Decimal("70.00"))
    testapp.delete(
        f"/api/assignments/{assignment.id}/extensions/{klass.student.id}/",
        headers=teacher,
        status=404,
    )


def test_moving_the_due_date_reevaluates_submissions(testapp, klass, dbsession):
    assignment = klass.assignment(
        due_at=NOW - 2 * HOUR,
        allow_late=True,
        penalty_type="fixed",
        penalty_value=Decimal("1.5"),
        penalty_frequency="per_hour",
    )
    data = submit(testapp, klass, assignment).json
    teacher = klass.h(klass.teacher)
    path = f"/api/assignments/submissions/{data['id']}/"
    graded = testapp.post_json(path + "grade/", {"score": 50}, headers=teacher).json["grade"]
    assert (graded["penalty"], graded["final_score"]) == ("3.00", "47.00")
    testapp.patch_json(
        f"/api/assignments/{assignment.id}/", {"due_at": NOW.isoformat()}, headers=teacher
    )
    after = testapp.get(path, headers=teacher).json
    assert (after["is_late"], after["lateness_seconds"]) == (False, 0)
    assert (after["grade"]["penalty"], after["grade"]["final_score"]) == ("0.00", "50.00")


def test_extension_rules_and_visibility(testapp, klass, make_user):
    assignment = klass.assignment(start_at=NOW - DAY)
    teacher = klass.h(klass.teacher)
    path = f"/api/assignments/{assignment.id}/extensions/"
    stranger = make_user("student")
    res = testapp.post_json(
        path,
        {"student_id": stranger.id, "due_at": "2026-09-05T09:00:00Z"},
        headers=teacher,
        status=400,
    )
    assert res.json["errors"][0]["name"] == "student_id"
    res = testapp.post_json(
        path,
        {"student_id": klass.student.id, "due_at": "2026-08-01T09:00:00Z"},
        headers=teacher,
        status=400,
    )
    assert res.json["errors"][0]["name"] == "due_at"
    res = testapp.post_json(
        path,
        {
            "student_id": klass.student.id,
            "due_at": "2026-09-05T09:00:00Z",
            "late_deadline": "2026-09-06T09:00:00Z",
        },
        headers=teacher,
        status=400,
    )
    assert res.json["errors"][0]["name"] == "late_deadline"  # the assignment takes no late work
    for who in (klass.student, klass.classmate):
        AssignmentExtensionFactory(assignment_id=assignment.id, student_id=who.id)
    testapp.post_json(
        path,
        {"student_id": klass.student.id, "due_at": "2026-09-05T09:00:00Z"},
        headers=klass.h(klass.student),
        status=403,
    )
    own = testapp.get(path, headers=klass.h(klass.student)).json["items"]
    assert [e["student_id"] for e in own] == [klass.student.id]
    assert [
        e["student_id"] for e in testapp.get(path, headers=klass.h(klass.parent)).json["items"]
    ] == [klass.student.id]
    assert len(testapp.get(path, headers=teacher).json["items"]) == 2
    testapp.delete(f"{path}{klass.classmate.id}/", headers=klass.h(klass.student), status=404)
    testapp.delete(f"{path}{klass.student.id}/", headers=klass.h(klass.student), status=403)


# --- bodies and files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"params": b"{}", "content_type": "application/json"}, "text"),  # nothing at all
        ({"params": b'{"text": "  "}', "content_type": "application/json"}, "text"),
        ({"params": b'{"text": "a", "mark": 5}', "content_type": "application/json"}, ""),
        ({"params": b"{not json", "content_type": "application/json"}, ""),
        ({"params": b"text=hello", "content_type": "text/plain"}, "Content-Type"),
        (
            {"params": b"--zzz\r\ngarbage", "content_type": "multipart/form-data; boundary=zzz"},
            None,
        ),
        ({"upload_files": [("files", f"{n}.txt", b"x\n") for n in range(11)]}, "files"),
        ({"upload_files": [("text", "answer.txt", b"x\n")]}, "text"),
        (
            {"params": {"text": "x", "grade": "5"}, "upload_files": [("files", "a.txt", b"x\n")]},
            "",
        ),
    ],
)
def test_bad_bodies_are_400(testapp, klass, kwargs, name):
    assignment = klass.assignment()
    res = testapp.post(
        f"/api/assignments/{assignment.id}/submissions/",
        headers=klass.h(klass.student),
        status=400,
        **kwargs,
    )
    assert res.content_type == "application/problem+json"
    if name is not None:
        assert name in {e["name"] for e in res.json["errors"]}, res.json


def test_files_are_stored_with_the_submission(testapp, klass, dbsession):
    assignment = klass.assignment()
    res = testapp.post(
        f"/api/assignments/{assignment.id}/submissions/",
        {"text": "See attached"},
        upload_files=[("files", "answer.txt", b"x = 42\n"), ("files", "notes.txt", b"done\n")],
        headers=klass.h(klass.student),
        status=201,
    )
    files = res.json["files"]
    assert [(f["original_name"], f["content_type"]) for f in files] == [
        ("answer.txt", "text/plain"),
        ("notes.txt", "text/plain"),
    ]
    media = dbsession.execute(select(MediaFile).where(MediaFile.id == files[0]["id"])).scalar_one()
    assert (media.kind, media.owner_type, media.owner_id) == (
        "submission",
        "assignment_submission",
        res.json["id"],
    )
    only_files = testapp.post(
        f"/api/assignments/{klass.assignment().id}/submissions/",
        upload_files=[("files", "a.txt", b"answer\n")],
        headers=klass.h(klass.student),
        status=201,
    )
    assert only_files.json["text"] == ""


def test_a_rejected_file_stores_nothing(testapp, klass, dbsession):
    assignment = klass.assignment()
    res = testapp.post(
        f"/api/assignments/{assignment.id}/submissions/",
        {"text": "x"},
        upload_files=[("files", "page.html", b"<html><script>alert(1)</script></html>")],
        headers=klass.h(klass.student),
        status=415,
    )
    assert res.content_type == "application/problem+json"
    count = dbsession.scalar(
        select(func.count())
        .select_from(AssignmentSubmission)
        .where(AssignmentSubmission.assignment_id == assignment.id)
    )
    assert count == 0


# --- lists ----------------------------------------------------------------------------------


def test_status_filters_and_scopes(testapp, klass, clock, dbsession):
    assignment = klass.assignment(allow_late=True, attempts_limit=3)
    first = AssignmentSubmissionFactory(
        assignment_id=assignment.id, student_id=klass.student.id, counts=False
    )
    late = AssignmentSubmissionFactory(
        assignment_id=assignment.id,
        student_id=klass.student.id,
        attempt=2,
        status="graded",
        is_late=True,
        lateness_seconds=10,
    )
    GradeFactory(submission_id=late.id)
    returned = AssignmentSubmissionFactory(
        assignment_id=assignment.id, student_id=klass.classmate.id, status="returned"
    )
    path = f"/api/assignments/{assignment.id}/submissions/"
    teacher = klass.h(klass.teacher)

    def ids(params, headers=teacher):
        return [s["id"] for s in testapp.get(path, params, headers=headers).json["items"]]

    assert ids({}) == [returned.id, late.id, first.id]
    assert ids({"status": "submitted"}) == [first.id]
    assert ids({"status": "late"}) == [late.id]
    assert ids({"status": "graded"}) == [late.id]
    assert ids({"status": "returned"}) == [returned.id]
    assert ids({"counts": "true"}) == [returned.id, late.id]
    assert ids({"student": klass.classmate.id}) == [returned.id]
    assert ids({}, klass.h(klass.student)) == [late.id, first.id]
    assert ids({}, klass.h(klass.parent)) == [late.id, first.id]
    assert ids({}, klass.h(klass.classmate)) == [returned.id]
    testapp.get(path, {"status": "lost"}, headers=teacher, status=400)


def test_submission_list_runs_a_constant_number_of_queries(
    testapp, klass, queries_for_1_and_30, make_user, dbsession
):
    assignment = klass.assignment(attempts_limit=5)
    path = f"/api/assignments/{assignment.id}/submissions/"
    headers = klass.h(klass.teacher)

    def add(n):
        for _ in range(n):
            student = make_user("student")
            AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=student.id)
            sub = AssignmentSubmissionFactory(
                assignment_id=assignment.id, student_id=student.id, status="graded"
            )
            GradeFactory(submission_id=sub.id)
            media = MediaFileFactory(
                kind="submission",
                storage_name=f"submission/00/00/{sub.id:032x}.txt",
                owner_type="assignment_submission",
                owner_id=sub.id,
            )
            dbsession.add(AssignmentSubmissionFile(submission_id=sub.id, file_id=media.id))
            dbsession.flush()

    testapp.get(path, headers=headers)  # warm-up
    _, large = queries_for_1_and_30(add, lambda: testapp.get(path, headers=headers).json["items"])
    assert all(len(s["files"]) == 1 and s["grade"] for s in large)


@pytest.mark.parametrize("who", ["teacher", "admin"])
def test_extension_list_runs_a_constant_number_of_queries(
    testapp, klass, queries_for_1_and_30, make_user, who
):
    assignment = klass.assignment()
    path = f"/api/assignments/{assignment.id}/extensions/"
    headers = klass.h(klass.teacher if who == "teacher" else make_user("admin"))

    def add(n):
        for _ in range(n):
            student = make_user("student")
            AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=student.id)
            AssignmentExtensionFactory(
                assignment_id=assignment.id, student_id=student.id, granted_by_id=klass.teacher.id
            )

    queries_for_1_and_30(add, lambda: testapp.get(path, headers=headers).json["items"])
