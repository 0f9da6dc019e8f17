"""Submissions on homework: text and/or files, one per student, feedback with a grade, the
student notified after commit, resubmission after a return, who sees which submission."""

from __future__ import annotations

import dramatiq
import pytest
from materials_support import API, mark_dashboards, material_url, school_fixture  # noqa: F401
from sqlalchemy import func, select

from factories import MaterialSubmissionFactory, SubmissionFeedbackFactory
from thebot.materials.models import MaterialSubmission, SubmissionFile
from thebot.media.models import MediaFile
from thebot.notifications.models import Notification
from thebot.notifications.service import update_preferences

SUBMISSIONS = f"{API}submissions/"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def homework(school):
    return school.material(type="homework", title="Fractions homework")


def submit(testapp, school, material, body=None, user=None, status=201, files=None):
    url = material_url(material, "submissions/")
    headers = school.headers(user or school.enrolled)
    if files is None:
        return testapp.post_json(
            url, body or {"text": "My answer"}, headers=headers, status=status
        )
    return testapp.post(url, body or {}, upload_files=files, headers=headers, status=status)


def review(testapp, school, submission_id, body=None, user=None, status=201):
    return testapp.post_json(
        f"{SUBMISSIONS}{submission_id}/feedback/",
        body or {"grade": 5, "text": "Well done"},
        headers=school.headers(user or school.teacher),
        status=status,
    )


def test_student_submits_text(testapp, school, homework):
    response = submit(testapp, school, homework)
    body = response.json
    assert body["status"] == "submitted" and body["text"] == "My answer"
    assert body["student"]["id"] == school.enrolled.id
    assert body["files"] == [] and body["feedback"] == []
    assert response.headers["Location"].endswith(f"{SUBMISSIONS}{body['id']}/")
    fetched = testapp.get(response.headers["Location"], headers=school.headers(school.enrolled))
    assert fetched.json == body and fetched.etag


def test_a_second_submission_is_a_409(testapp, school, homework):
    submit(testapp, school, homework)
    response = submit(testapp, school, homework, {"text": "Again"}, status=409)
    assert response.content_type == "application/problem+json"


def test_only_homework_takes_submissions(testapp, school):
    lesson = school.material(type="lesson")
    response = submit(testapp, school, lesson, status=400)
    assert "homework" in response.json["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {},
        {"text": 5},
        {"text": "x", "files": ["a.pdf"]},
        {"text": "x", "grade": 5},
        {"text": "x" * 50_001},
    ],  # fmt: skip
)
def test_bad_submissions_are_400(testapp, school, homework, body):
    url = material_url(homework, "submissions/")
    testapp.post_json(url, body, headers=school.headers(school.enrolled), status=400)


def test_only_students_submit(testapp, school, homework):
    for user in (school.teacher, school.admin, school.enrolled_parent):
        submit(testapp, school, homework, user=user, status=403)
    submit(testapp, school, homework, user=school.stranger, status=404)  # does not see it


def test_files_are_stored_and_listed(testapp, school, homework):
    body = submit(
        testapp,
        school,
        homework,
        {"text": "See attached"},
        files=[("files", "answer.pdf", PDF), ("files", "notes.txt", b"plain notes")],
    ).json
    names = [f["original_name"] for f in body["files"]]
    assert names == ["answer.pdf", "notes.txt"]
    assert [f["content_type"] for f in body["files"]] == ["application/pdf", "text/plain"]
    assert all(f["url"].startswith("/media/submission/") for f in body["files"])
    media = school.dbsession.scalars(select(MediaFile)).all()
    assert {(m.owner_type, m.owner_id, m.kind) for m in media} == {
        ("submission", body["id"], "submission")
    }
    served = testapp.get(body["files"][0]["url"], headers=school.headers(school.teacher))
    assert served.body == PDF
    testapp.get(body["files"][0]["url"], headers=school.headers(school.stranger), status=404)


def test_files_alone_are_enough(testapp, school, homework):
    body = submit(testapp, school, homework, files=[("files", "answer.pdf", PDF)]).json
    assert body["text"] == "" and len(body["files"]) == 1


def test_a_rejected_file_leaves_no_submission(testapp, school, homework):
    fake = b"MZ\x90\x00" + b"\x00" * 200  # an executable named like a PDF
    response = submit(
        testapp, school, homework, {"text": "x"}, files=[("files", "answer.pdf", fake)], status=415
    )
    assert response.content_type == "application/problem+json"
    count = school.dbsession.scalar(select(func.count()).select_from(MaterialSubmission))
    assert count == 0
    assert school.dbsession.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_feedback_reviews_and_notifies_the_student_after_commit(testapp, school, homework, broker):
    update_preferences(
        school.dbsession, school.enrolled.id, {"categories": {"materials": {"email": True}}}
    )
    submission = submit(testapp, school, homework).json
    response = review(testapp, school, submission["id"], {"grade": 4, "text": "Nearly there"})
    body = response.json
    assert body["status"] == "reviewed"
    [feedback] = body["feedback"]
    assert feedback["grade"] == 4 and feedback["text"] == "Nearly there"
    assert feedback["teacher"]["id"] == school.teacher.id and feedback["status"] == "reviewed"
    [note] = school.dbsession.scalars(
        select(Notification).where(Notification.user_id == school.enrolled.id)
    )
    assert note.kind == "materials.feedback" and "4/5" in note.title
    assert note.data["submission_id"] == submission["id"] and note.data["grade"] == 4
    [message] = [dramatiq.Message.decode(m) for m in broker.queues["email"].queue]
    assert message.args[0] == [school.enrolled.email]
    # A second review is refused (409) and, the request aborting, sends nothing more.
    review(testapp, school, submission["id"], user=school.admin, status=409)
    assert broker.queues["email"].qsize() == 1
    assert len(school.dbsession.scalars(select(Notification)).all()) == 1


def test_no_email_unless_the_student_wants_it(testapp, school, homework, broker):
    submission = submit(testapp, school, homework).json
    review(testapp, school, submission["id"])
    assert broker.queues["email"].qsize() == 0  # "materials" is in-app only by default
    assert (
        school.dbsession.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == school.enrolled.id)
        )
        == 1
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("teacher", 201),  # the author
        ("admin", 201),
        ("enrolled", 403),  # sees their own submission, may not review it
        ("enrolled_parent", 403),
        ("stranger_teacher", 404),
    ],
)
def test_who_gives_feedback(testapp, school, homework, who, status):
    submission = submit(testapp, school, homework).json
    review(testapp, school, submission["id"], user=getattr(school, who), status=status)


def test_a_teacher_of_the_subject_reviews_a_public_homework(testapp, school):
    homework = school.material(type="homework", is_public=True)
    submission = submit(testapp, school, homework).json
    review(testapp, school, submission["id"], user=school.colleague)


@pytest.mark.parametrize(
    "body",
    [
        {"grade": 0},
        {"grade": 6},
        {"grade": "5"},
        {"text": "no grade"},
        {"grade": 3, "status": "submitted"},
        {"grade": 3, "extra": 1},
    ],  # fmt: skip
)
def test_bad_feedback_is_400(testapp, school, homework, body):
    submission = submit(testapp, school, homework).json
    review(testapp, school, submission["id"], body, status=400)


def test_a_returned_submission_can_be_submitted_again(testapp, school, homework):
    first = submit(
        testapp, school, homework, {"text": "Draft"}, files=[("files", "a.pdf", PDF)]
    ).json
    review(testapp, school, first["id"], {"grade": 2, "text": "Redo", "status": "returned"})
    again = submit(testapp, school, homework, {"text": "Better"}, status=200).json
    assert again["id"] == first["id"] and again["status"] == "submitted"
    assert again["text"] == "Better" and again["files"] == []  # replaced
    assert [f["status"] for f in again["feedback"]] == ["returned"]
    links = school.dbsession.scalar(select(func.count()).select_from(SubmissionFile))
    assert links == 0
    final = review(testapp, school, first["id"], {"grade": 5}).json
    assert final["status"] == "reviewed" and len(final["feedback"]) == 2
    submit(testapp, school, homework, {"text": "More"}, status=409)


def test_who_sees_which_submissions(testapp, school, homework, make_user):
    own = MaterialSubmissionFactory(material_id=homework.id, student_id=school.enrolled.id)
    other = MaterialSubmissionFactory(material_id=homework.id, student_id=school.assigned.id)

    def seen(user):
        page = testapp.get(material_url(homework, "submissions/"), headers=school.headers(user))
        return {s["id"] for s in page.json["items"]}

    assert seen(school.teacher) == seen(school.admin) == {own.id, other.id}
    assert seen(school.enrolled) == {own.id}
    assert seen(school.assigned) == {other.id}
    assert seen(school.enrolled_parent) == {own.id}
    tutor = school.headers(school.tutor)  # tutors the assigned student, but the material
    testapp.get(material_url(homework, "submissions/"), headers=tutor, status=404)  # is not theirs
    testapp.get(f"{SUBMISSIONS}{other.id}/", headers=school.headers(school.enrolled), status=404)
    testapp.get(f"{SUBMISSIONS}{own.id}/", headers=school.headers(school.enrolled_parent))
    testapp.get(f"{SUBMISSIONS}{own.id}/", headers=school.headers(school.stranger), status=404)
    testapp.get(f"{SUBMISSIONS}{own.id}/", status=401)
    filtered = testapp.get(
        material_url(homework, "submissions/"),
        {"student": school.assigned.id, "status": "submitted"},
        headers=school.headers(school.teacher),
    )
    assert [s["id"] for s in filtered.json["items"]] == [other.id]


def test_submission_list_query_count_is_constant(
    testapp, school, homework, make_user, queries_for_1_and_30
):
    headers = school.headers(school.teacher)
    url = material_url(homework, "submissions/")

    def one():
        submission = MaterialSubmissionFactory(
            material_id=homework.id, student_id=make_user("student").id
        )
        SubmissionFeedbackFactory(submission_id=submission.id, teacher_id=school.teacher.id)
        media = MediaFile(
            kind="submission",
            storage_name=f"submission/00/00/{submission.id:032x}.pdf",
            original_name="a.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            owner_type="submission",
            owner_id=submission.id,
        )
        school.dbsession.add(media)
        school.dbsession.flush()
        school.dbsession.add(SubmissionFile(submission_id=submission.id, file_id=media.id))
        school.dbsession.flush()

    def add(n):
        for _ in range(n):
            one()

    _, items = queries_for_1_and_30(add, lambda: testapp.get(url, headers=headers).json["items"])
    assert all(s["files"] and s["feedback"] for s in items)


def test_on_a_public_homework_non_reviewers_see_only_their_students(testapp, school):
    homework = school.material(type="homework", is_public=True)
    mine = MaterialSubmissionFactory(material_id=homework.id, student_id=school.assigned.id)
    MaterialSubmissionFactory(material_id=homework.id, student_id=school.stranger.id)

    def seen(user):
        page = testapp.get(material_url(homework, "submissions/"), headers=school.headers(user))
        return {s["id"] for s in page.json["items"]}

    assert seen(school.tutor) == {mine.id}  # their tutee's, read only
    review(testapp, school, mine.id, user=school.tutor, status=403)
    assert seen(school.stranger_teacher) == set()
    assert len(seen(school.colleague)) == 2  # teaches the subject: a reviewer


def test_submitting_and_feedback_invalidate_dashboards(testapp, app, school, homework):
    people = [school.enrolled, school.enrolled_parent, school.teacher, school.colleague]
    invalidated = mark_dashboards(app, [*people, school.stranger])
    submission = submit(testapp, school, homework).json
    assert invalidated() == {u.id for u in people}
    invalidated = mark_dashboards(app, [*people, school.stranger])
    review(testapp, school, submission["id"])
    assert invalidated() == {u.id for u in people}


def test_multipart_rules(testapp, school, homework):
    url = material_url(homework, "submissions/")
    headers = school.headers(school.enrolled)
    too_many = [("files", f"f{i}.txt", b"notes") for i in range(11)]
    testapp.post(url, {"text": "x"}, upload_files=too_many, headers=headers, status=400)
    as_text = testapp.post(url, {"text": "x", "files": "a.pdf"}, headers=headers, status=400)
    assert as_text.json["errors"][0]["name"] == "files"
    testapp.post(
        url, {"text": "x", "note": "y"}, upload_files=[("files", "a.pdf", PDF)], headers=headers,
        status=400,
    )  # fmt: skip
    assert school.dbsession.scalar(select(func.count()).select_from(MediaFile)) == 0
    text_only = testapp.post(url, {"text": "Typed in a form"}, headers=headers, status=201)
    assert text_only.json["text"] == "Typed in a form"
