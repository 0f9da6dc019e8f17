"""Account writes refresh the cached dashboards they change: a new tutor, parent links made
and removed, renamed and deactivated people. Each dashboard is read (and so cached) before
the write and must show the new data on the very next read."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from factories import (
    EnrollmentFactory,
    LessonFactory,
    MaterialFactory,
    MaterialSubmissionFactory,
    ParentLinkFactory,
    SubjectFactory,
    SubmissionFeedbackFactory,
    TeacherSubjectFactory,
)
from thebot.dashboards import cache as dc

USERS = "/api/accounts/users/"


@pytest.fixture(autouse=True)
def fresh_dashboards(app):
    """The memory cache outlives a test's rolled-back rows (and SQLite reuses their ids)."""
    dc.bump_generations(app.registry, (), everyone=True)


@pytest.fixture
def w(make_user, dbsession, auth_headers):
    """A tutored student with a parent, enrolled with a teacher; an admin."""
    tutor = make_user("tutor", first_name="Tom")
    student = make_user("student", first_name="Sam", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    teacher = make_user("teacher", first_name="Erin")
    subject = SubjectFactory(name="Algebra")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    EnrollmentFactory(student_id=student.id, subject_id=subject.id, teacher_id=teacher.id)
    dbsession.flush()
    return SimpleNamespace(
        admin=make_user("admin"),
        tutor=tutor,
        student=student,
        parent=parent,
        teacher=teacher,
        subject=subject,
        h=auth_headers,
    )


def sections(testapp, w, user, role):
    return testapp.get(f"/api/dashboard/{role}/", headers=w.h(user)).json["sections"]


def tutor_students(testapp, w, tutor):
    return [
        card["student"]["id"] for card in sections(testapp, w, tutor, "tutor")["students"]["items"]
    ]


def parent_children(testapp, w, parent=None):
    return sections(testapp, w, parent or w.parent, "parent")["children"]


def first_names(people):
    return [person["first_name"] for person in people]


# --- relations: tutor, parent links ---------------------------------------------------------


def test_changing_a_students_tutor_refreshes_both_tutors_and_the_parent(testapp, w, make_user):
    new_tutor = make_user("tutor", first_name="Nina")
    assert tutor_students(testapp, w, w.tutor) == [w.student.id]
    assert tutor_students(testapp, w, new_tutor) == []
    assert parent_children(testapp, w)[0]["tutor"]["id"] == w.tutor.id

    testapp.patch_json(
        f"{USERS}{w.student.id}/profile/", {"tutor_id": new_tutor.id}, headers=w.h(w.admin)
    )

    assert tutor_students(testapp, w, w.tutor) == []
    assert tutor_students(testapp, w, new_tutor) == [w.student.id]
    card = parent_children(testapp, w)[0]
    assert card["tutor"]["id"] == new_tutor.id
    assert {t["id"] for t in card["teachers"]} == {w.teacher.id, new_tutor.id}


def test_linking_and_unlinking_a_parent_refreshes_their_dashboard(testapp, w, make_user):
    parent = make_user("parent")
    assert parent_children(testapp, w, parent) == []

    testapp.post_json(
        f"{USERS}{w.student.id}/parents/",
        {"parent_id": parent.id},
        headers=w.h(w.admin),
        status=201,
    )
    assert [c["student"]["id"] for c in parent_children(testapp, w, parent)] == [w.student.id]

    testapp.delete(f"{USERS}{w.student.id}/parents/{parent.id}/", headers=w.h(w.admin))
    assert parent_children(testapp, w, parent) == []


def test_a_parent_removing_their_child_refreshes_their_dashboard(testapp, w):
    assert len(parent_children(testapp, w)) == 1
    testapp.delete(f"/api/accounts/children/{w.student.id}/", headers=w.h(w.parent))
    assert parent_children(testapp, w) == []


def test_redeeming_a_pairing_code_refreshes_the_parents_dashboard(testapp, w, make_user):
    parent = make_user("parent")
    assert parent_children(testapp, w, parent) == []
    code = testapp.post_json(
        "/api/accounts/pairing-codes/", {}, headers=w.h(w.student), status=201
    ).json["code"]
    testapp.post_json(
        "/api/accounts/pairing-codes/redeem/", {"code": code}, headers=w.h(parent), status=201
    )
    assert [c["student"]["id"] for c in parent_children(testapp, w, parent)] == [w.student.id]


def test_a_student_created_by_a_tutor_appears_on_the_tutor_and_parent_dashboards(testapp, w):
    assert tutor_students(testapp, w, w.tutor) == [w.student.id]
    assert len(parent_children(testapp, w)) == 1
    body = {
        "student": {"first_name": "Ada", "last_name": "Brown", "email": "ada@example.com"},
        "parent_id": w.parent.id,
    }
    new = testapp.post_json(
        "/api/accounts/students/", body, headers=w.h(w.tutor), status=201
    ).json["student"]
    assert set(tutor_students(testapp, w, w.tutor)) == {w.student.id, new["id"]}
    assert {c["student"]["id"] for c in parent_children(testapp, w)} == {w.student.id, new["id"]}


# --- people: names, active state -------------------------------------------------------------


def test_renaming_a_student_refreshes_every_dashboard_showing_them(
    testapp, w, make_user, dbsession
):
    # A teacher of another subject, unrelated to the student but for a submission to review.
    reviewer = make_user("teacher")
    homework = MaterialFactory(author_id=reviewer.id, status="active", type="homework")
    MaterialSubmissionFactory(material_id=homework.id, student_id=w.student.id)
    dbsession.flush()

    def own_name():
        body = testapp.get("/api/dashboard/student/", headers=w.h(w.student)).json
        return body["user"]["first_name"]

    def names_shown():
        return {
            "own": own_name(),
            "teacher": first_names(
                s["student"]
                for s in sections(testapp, w, w.teacher, "teacher")["subjects"][0]["students"]
            ),
            "tutor": first_names(
                c["student"] for c in sections(testapp, w, w.tutor, "tutor")["students"]["items"]
            ),
            "parent": first_names(c["student"] for c in parent_children(testapp, w)),
            "reviewer": first_names(
                s["student"]
                for s in sections(testapp, w, reviewer, "teacher")["pending_submissions"]["items"]
            ),
        }

    assert names_shown() == {
        "own": "Sam",
        "teacher": ["Sam"],
        "tutor": ["Sam"],
        "parent": ["Sam"],
        "reviewer": ["Sam"],
    }
    testapp.patch_json(f"{USERS}{w.student.id}/", {"first_name": "Samuel"}, headers=w.h(w.student))
    assert names_shown() == {
        "own": "Samuel",
        "teacher": ["Samuel"],
        "tutor": ["Samuel"],
        "parent": ["Samuel"],
        "reviewer": ["Samuel"],
    }


def test_renaming_a_teacher_refreshes_their_students_and_the_families(testapp, w):
    def names_shown():
        card = parent_children(testapp, w)[0]
        tutor_card = sections(testapp, w, w.tutor, "tutor")["students"]["items"][0]
        return (
            first_names(
                s["teacher"] for s in sections(testapp, w, w.student, "student")["subjects"]
            ),
            first_names(s["teacher"] for s in card["subjects"]),
            first_names(s["teacher"] for s in tutor_card["subjects"]),
        )

    assert names_shown() == (["Erin"], ["Erin"], ["Erin"])
    testapp.patch_json(f"{USERS}{w.teacher.id}/", {"first_name": "Erica"}, headers=w.h(w.admin))
    assert names_shown() == (["Erica"], ["Erica"], ["Erica"])


def test_renaming_a_reviewer_refreshes_the_feedback_on_the_students_dashboard(
    testapp, w, make_user, dbsession
):
    reviewer = make_user("teacher", first_name="Rita")  # no enrollment with the student
    submission = MaterialSubmissionFactory(
        material_id=MaterialFactory(
            author_id=reviewer.id, subject_id=w.subject.id, status="active", type="homework"
        ).id,
        student_id=w.student.id,
        status="reviewed",
    )
    SubmissionFeedbackFactory(submission_id=submission.id, teacher_id=reviewer.id)
    dbsession.flush()

    def feedback_by():
        return first_names(
            f["teacher"] for f in sections(testapp, w, w.student, "student")["feedback"]
        )

    assert feedback_by() == ["Rita"]
    testapp.patch_json(f"{USERS}{reviewer.id}/", {"first_name": "Rose"}, headers=w.h(w.admin))
    assert feedback_by() == ["Rose"]


def test_renaming_a_lesson_teacher_refreshes_the_upcoming_lessons(
    testapp, w, make_user, dbsession
):
    visitor = make_user("teacher", first_name="Vera")  # no enrollment with the student
    LessonFactory(teacher_id=visitor.id, student_id=w.student.id, subject_id=w.subject.id)
    dbsession.flush()

    def lesson_teachers():
        return [
            first_names(
                i["teacher"] for i in sections(testapp, w, user, role)["upcoming_lessons"]["items"]
            )
            for user, role in ((w.student, "student"), (w.parent, "parent"))
        ]

    assert lesson_teachers() == [["Vera"], ["Vera"]]
    testapp.patch_json(f"{USERS}{visitor.id}/", {"first_name": "Vlad"}, headers=w.h(w.admin))
    assert lesson_teachers() == [["Vlad"], ["Vlad"]]


@pytest.mark.parametrize("how", ["delete", "patch"])
def test_deactivating_a_student_removes_them_from_the_tutor_and_parent_dashboards(testapp, w, how):
    assert tutor_students(testapp, w, w.tutor) == [w.student.id]
    assert len(parent_children(testapp, w)) == 1
    if how == "delete":
        testapp.delete(f"{USERS}{w.student.id}/", headers=w.h(w.admin), status=204)
    else:
        testapp.patch_json(f"{USERS}{w.student.id}/", {"is_active": False}, headers=w.h(w.admin))
    assert tutor_students(testapp, w, w.tutor) == []
    assert parent_children(testapp, w) == []
