"""Enrollments: who creates them, the one-active-per-(student, subject) rule, status changes
(audited), teacher changes, filters, pagination and a constant query count."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import false, select, update

from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory, TeacherSubjectFactory
from thebot.audit import AuditEvent
from thebot.catalog import enrollments as service
from thebot.catalog.models import Enrollment, TeacherSubject

ENROLLMENTS = "/api/materials/enrollments/"


def one(enrollment_id):
    return f"{ENROLLMENTS}{enrollment_id}/"


@pytest.fixture
def w(make_user, dbsession):
    """Tutor T tutors student S (parent P); teacher E teaches the subject; admin A."""
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    teacher = make_user("teacher")
    subject = SubjectFactory(name="Algebra")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    dbsession.flush()
    return SimpleNamespace(
        admin=make_user("admin"),
        tutor=tutor,
        student=student,
        parent=parent,
        teacher=teacher,
        subject=subject,
    )


def body(w, **overrides):
    data = {"student_id": w.student.id, "subject_id": w.subject.id, "teacher_id": w.teacher.id}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audits(dbsession, action):
    return dbsession.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- creating -------------------------------------------------------------------------------


def test_admin_enrolls_a_student_with_a_teacher(testapp, dbsession, w, auth_headers):
    res = testapp.post_json(
        ENROLLMENTS,
        body(w, custom_subject_name="Algebra for exams"),
        headers=auth_headers(w.admin),
        status=201,
    )
    data = res.json
    assert res.headers["Location"].endswith(one(data["id"]))
    assert data["student"]["id"] == w.student.id and data["teacher"]["id"] == w.teacher.id
    assert data["subject"] == {"id": w.subject.id, "name": "Algebra", "color": "#4a90d9"}
    assert data["subject_name"] == "Algebra for exams"
    assert data["assigned_by"]["id"] == w.admin.id
    assert data["status"] == "active" and data["ended_at"] is None
    [event] = audits(dbsession, "enrollment.created")
    assert event.actor_id == w.admin.id and event.target_id == str(data["id"])
    assert event.details["teacher_id"] == w.teacher.id


def teaching(student, teacher):
    """An active enrollment of ``student`` with ``teacher`` in some other subject: the
    teacher already teaches (and sees) the student."""
    other = SubjectFactory()
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=other.id)
    return EnrollmentFactory(student_id=student.id, subject_id=other.id, teacher_id=teacher.id)


def test_teacher_enrolls_a_student_they_teach_with_themself_by_default(testapp, w, auth_headers):
    teaching(w.student, w.teacher)
    data = testapp.post_json(
        ENROLLMENTS,
        body(w, teacher_id=None),
        headers=auth_headers(w.teacher),
        status=201,
    ).json
    assert data["teacher"]["id"] == w.teacher.id
    assert data["subject_name"] == "Algebra" and data["custom_subject_name"] is None


def test_teacher_cannot_enroll_a_student_with_another_teacher(testapp, w, make_user, auth_headers):
    teaching(w.student, w.teacher)
    other = make_user("teacher")
    TeacherSubjectFactory(teacher_id=other.id, subject_id=w.subject.id)
    res = testapp.post_json(
        ENROLLMENTS, body(w, teacher_id=other.id), headers=auth_headers(w.teacher), status=403
    )
    assert res.content_type == "application/problem+json"


def test_students_tutor_enrolls_with_any_teacher_of_the_subject(testapp, w, auth_headers):
    data = testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(w.tutor), status=201).json
    assert data["assigned_by"]["id"] == w.tutor.id


def test_other_tutor_cannot_enroll_someone_elses_student_with_a_teacher(
    testapp, w, make_user, auth_headers
):
    testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(make_user("tutor")), status=404)


def test_a_tutor_teaching_the_student_may_enroll_them_with_themself(
    testapp, w, make_user, auth_headers
):
    tutor = make_user("tutor")
    TeacherSubjectFactory(teacher_id=tutor.id, subject_id=w.subject.id)
    teaching(w.student, tutor)
    data = testapp.post_json(
        ENROLLMENTS, body(w, teacher_id=None), headers=auth_headers(tutor), status=201
    ).json
    assert data["teacher"]["id"] == tutor.id


def without_request_id(res):
    return {k: v for k, v in res.json.items() if k != "request_id"}


@pytest.mark.parametrize("role", ["teacher", "tutor"])
def test_an_unrelated_teacher_or_tutor_cannot_enroll_a_student_to_gain_sight_of_them(
    testapp, dbsession, w, make_user, role, auth_headers
):
    """The hole: teacher_id = self made any student visible. Now every student the caller is
    not related to is one 404, the same body whatever the id is."""
    caller = make_user(role)
    TeacherSubjectFactory(teacher_id=caller.id, subject_id=w.subject.id)
    headers = auth_headers(caller)
    unrelated = testapp.post_json(
        ENROLLMENTS, body(w, teacher_id=None), headers=headers, status=404
    )
    assert unrelated.json["type"].endswith("/not-found")
    assert dbsession.scalar(select(Enrollment.id)) is None
    testapp.get(f"/api/accounts/users/{w.student.id}/", headers=headers, status=404)
    answers = {
        "does not exist": body(w, student_id=10**9, teacher_id=None),
        "is not a student": body(w, student_id=w.parent.id, teacher_id=None),
        "is a teacher": body(w, student_id=w.teacher.id, teacher_id=None),
        "bad subject too": body(w, subject_id=10**9, teacher_id=None),
    }
    for why, payload in answers.items():
        res = testapp.post_json(ENROLLMENTS, payload, headers=headers, status=404)
        assert without_request_id(res) == without_request_id(unrelated), why
    # Already enrolled (with someone else): still the same 404, not a 409.
    testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(w.admin), status=201)
    res = testapp.post_json(ENROLLMENTS, body(w, teacher_id=None), headers=headers, status=404)
    assert without_request_id(res) == without_request_id(unrelated)


def test_a_student_taught_in_the_past_only_is_not_enrollable_by_the_teacher(
    testapp, dbsession, w, auth_headers
):
    """ "Already teaches" is an active enrollment: the students the teacher can see."""
    past = teaching(w.student, w.teacher)
    past.status = "completed"
    dbsession.flush()
    testapp.post_json(
        ENROLLMENTS, body(w, teacher_id=None), headers=auth_headers(w.teacher), status=404
    )


@pytest.mark.parametrize("role", ["student", "parent"])
def test_students_and_parents_cannot_create_enrollments(testapp, w, role, auth_headers):
    caller = w.student if role == "student" else w.parent
    testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(caller), status=403)


def test_nobody_enrolls_themself(testapp, dbsession, w, make_user, auth_headers):
    """Only students are enrolled and only staff create enrollments, so a self-enrollment is
    refused whatever the role of the account that tries."""
    for user in (w.teacher, w.tutor, w.admin):
        res = testapp.post_json(
            ENROLLMENTS, body(w, student_id=user.id), headers=auth_headers(user), status=403
        )
        assert res.content_type == "application/problem+json"
    testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(w.student), status=403)
    assert dbsession.scalar(select(Enrollment.id)) is None


def test_anonymous_gets_401(testapp, w):
    res = testapp.post_json(ENROLLMENTS, body(w), status=401)
    assert res.headers["WWW-Authenticate"] == "Token"
    testapp.get(ENROLLMENTS, status=401)


def test_admin_must_name_the_teacher(testapp, w, auth_headers):
    res = testapp.post_json(
        ENROLLMENTS, body(w, teacher_id=None), headers=auth_headers(w.admin), status=400
    )
    assert res.json["errors"][0]["name"] == "teacher_id"


def test_teacher_must_be_actively_assigned_to_the_subject(
    testapp, dbsession, w, make_user, auth_headers
):
    outsider = make_user("teacher")
    res = testapp.post_json(
        ENROLLMENTS, body(w, teacher_id=outsider.id), headers=auth_headers(w.admin), status=400
    )
    assert res.json["errors"] == [
        {
            "location": "body",
            "name": "teacher_id",
            "description": "This teacher is not assigned to the subject",
        }
    ]
    TeacherSubjectFactory(teacher_id=outsider.id, subject_id=w.subject.id, is_active=False)
    testapp.post_json(
        ENROLLMENTS, body(w, teacher_id=outsider.id), headers=auth_headers(w.admin), status=400
    )


def test_every_invalid_reference_is_reported(testapp, w, auth_headers):
    res = testapp.post_json(
        ENROLLMENTS,
        {"student_id": w.parent.id, "subject_id": 999999, "teacher_id": w.student.id},
        headers=auth_headers(w.admin),
        status=400,
    )
    assert {e["name"] for e in res.json["errors"]} == {"student_id", "subject_id", "teacher_id"}
    assert res.json["type"].endswith("/validation-error")


def test_inactive_student_cannot_be_enrolled(testapp, dbsession, w, auth_headers):
    w.student.is_active = False
    dbsession.flush()
    res = testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(w.admin), status=400)
    assert res.json["errors"][0]["name"] == "student_id"


@pytest.mark.parametrize(
    "payload",
    [
        {"student_id": "x", "subject_id": 1},
        {"student_id": 1.5, "subject_id": 1},
        {"student_id": True, "subject_id": 1},
        {"subject_id": 1},
        {"student_id": 1, "subject_id": 1, "status": "active"},
        {"student_id": 1, "subject_id": 1, "custom_subject_name": "x" * 201},
    ],
)
def test_malformed_bodies_are_400(testapp, w, payload, auth_headers):
    res = testapp.post_json(ENROLLMENTS, payload, headers=auth_headers(w.admin), status=400)
    assert res.json["errors"]


def test_non_json_body_is_400(testapp, w, auth_headers):
    testapp.post(
        ENROLLMENTS,
        "student_id=1",
        headers={**auth_headers(w.admin), "Content-Type": "text/plain"},
        status=400,
    )


def test_second_active_enrollment_in_a_subject_is_409(testapp, w, auth_headers):
    headers = auth_headers(w.admin)
    first = testapp.post_json(ENROLLMENTS, body(w), headers=headers, status=201).json
    res = testapp.post_json(ENROLLMENTS, body(w), headers=headers, status=409)
    assert res.json["type"].endswith("/conflict")
    testapp.patch_json(one(first["id"]), {"status": "completed"}, headers=headers)
    testapp.post_json(ENROLLMENTS, body(w), headers=headers, status=201)


def test_duplicate_that_wins_the_race_to_the_unique_index_is_a_409(
    testapp, w, auth_headers, monkeypatch
):
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    # As if the other request committed between our check and our insert.
    monkeypatch.setattr(service, "active_duplicate", lambda *a, **k: false())
    res = testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(w.admin), status=409)
    assert res.json["detail"] == service.DUPLICATE


# --- changing ------------------------------------------------------------------------------


@pytest.fixture
def enrolled(w, dbsession):
    e = EnrollmentFactory(
        student_id=w.student.id,
        subject_id=w.subject.id,
        teacher_id=w.teacher.id,
        assigned_by_id=w.admin.id,
    )
    dbsession.flush()
    return e


def test_teacher_completes_an_enrollment_and_it_is_audited(
    testapp, dbsession, w, enrolled, auth_headers
):
    data = testapp.patch_json(
        one(enrolled.id), {"status": "completed"}, headers=auth_headers(w.teacher)
    ).json
    assert data["status"] == "completed" and data["ended_at"] is not None
    [event] = audits(dbsession, "enrollment.status_changed")
    assert event.details["status_from"] == "active" and event.details["status_to"] == "completed"
    assert event.actor_id == w.teacher.id


def test_reactivating_beside_another_active_enrollment_is_409(
    testapp, dbsession, w, enrolled, auth_headers
):
    headers = auth_headers(w.admin)
    testapp.patch_json(one(enrolled.id), {"status": "dropped"}, headers=headers)
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    res = testapp.patch_json(one(enrolled.id), {"status": "active"}, headers=headers, status=409)
    assert res.json["errors"][0]["name"] == "status"


def test_reactivation_clears_ended_at(testapp, w, enrolled, auth_headers):
    headers = auth_headers(w.admin)
    testapp.patch_json(one(enrolled.id), {"status": "dropped"}, headers=headers)
    data = testapp.patch_json(one(enrolled.id), {"status": "active"}, headers=headers).json
    assert data["status"] == "active" and data["ended_at"] is None


@pytest.mark.parametrize("who", ["admin", "teacher", "tutor"])
def test_reactivating_with_a_teacher_no_longer_assigned_is_409(
    testapp, dbsession, w, enrolled, who, auth_headers
):
    headers = auth_headers(getattr(w, who))
    testapp.patch_json(one(enrolled.id), {"status": "dropped"}, headers=headers)
    testapp.delete(
        f"/api/materials/subjects/{w.subject.id}/teachers/{w.teacher.id}/",
        headers=auth_headers(w.admin),
        status=204,
    )
    if who == "teacher":  # no longer teaches the student: not theirs to bring back at all
        testapp.patch_json(one(enrolled.id), {"status": "active"}, headers=headers, status=403)
    else:
        res = testapp.patch_json(
            one(enrolled.id), {"status": "active"}, headers=headers, status=409
        )
        assert res.json["errors"][0]["name"] == "teacher_id"
    dbsession.expire_all()
    assert dbsession.get(Enrollment, enrolled.id).status == "dropped"


def test_a_teacher_the_student_left_cannot_reactivate_the_enrollment(
    testapp, dbsession, w, enrolled, auth_headers
):
    """Reactivating re-creates the teaching relation: before, the teacher of a dropped
    enrollment could bring the student (profile, reports, parents) back into sight alone."""
    testapp.patch_json(one(enrolled.id), {"status": "dropped"}, headers=auth_headers(w.tutor))
    teacher = auth_headers(w.teacher)
    student_url = f"/api/accounts/users/{w.student.id}/"
    testapp.get(student_url, headers=teacher, status=404)
    res = testapp.patch_json(one(enrolled.id), {"status": "active"}, headers=teacher, status=403)
    assert res.json["errors"][0]["name"] == "status"
    testapp.get(student_url, headers=teacher, status=404)
    # Still teaching the student elsewhere: the teacher may.
    teaching(w.student, w.teacher)
    testapp.patch_json(one(enrolled.id), {"status": "active"}, headers=teacher, status=200)
    # The student's tutor may, as at creation.
    testapp.patch_json(one(enrolled.id), {"status": "completed"}, headers=teacher)
    testapp.patch_json(one(enrolled.id), {"status": "active"}, headers=auth_headers(w.tutor))


def test_reactivating_with_a_new_teacher_in_the_same_patch(
    testapp, dbsession, w, enrolled, make_user, auth_headers
):
    headers = auth_headers(w.tutor)
    testapp.patch_json(one(enrolled.id), {"status": "dropped"}, headers=headers)
    dbsession.execute(
        update(TeacherSubject)
        .where(TeacherSubject.teacher_id == w.teacher.id)
        .values(is_active=False)
    )
    other = make_user("teacher")
    TeacherSubjectFactory(teacher_id=other.id, subject_id=w.subject.id)
    dbsession.flush()
    data = testapp.patch_json(
        one(enrolled.id), {"status": "active", "teacher_id": other.id}, headers=headers
    ).json
    assert data["status"] == "active" and data["teacher"]["id"] == other.id


def test_reactivating_with_a_deactivated_teacher_account_is_409(
    testapp, dbsession, w, enrolled, auth_headers
):
    headers = auth_headers(w.admin)
    testapp.patch_json(one(enrolled.id), {"status": "completed"}, headers=headers)
    w.teacher.is_active = False
    dbsession.flush()
    testapp.patch_json(one(enrolled.id), {"status": "active"}, headers=headers, status=409)


def test_only_admins_and_the_tutor_change_the_teacher(
    testapp, dbsession, w, enrolled, make_user, auth_headers
):
    other = make_user("teacher")
    TeacherSubjectFactory(teacher_id=other.id, subject_id=w.subject.id)
    testapp.patch_json(
        one(enrolled.id), {"teacher_id": other.id}, headers=auth_headers(w.teacher), status=403
    )
    data = testapp.patch_json(
        one(enrolled.id), {"teacher_id": other.id}, headers=auth_headers(w.tutor)
    ).json
    assert data["teacher"]["id"] == other.id
    [event] = audits(dbsession, "enrollment.updated")
    assert event.details["teacher_from"] == w.teacher.id
    assert event.details["teacher_to"] == other.id


def test_new_teacher_must_teach_the_subject(testapp, w, enrolled, make_user, auth_headers):
    res = testapp.patch_json(
        one(enrolled.id),
        {"teacher_id": make_user("teacher").id},
        headers=auth_headers(w.admin),
        status=400,
    )
    assert res.json["errors"][0]["name"] == "teacher_id"


def test_a_tutor_learns_nothing_about_accounts_from_teacher_id(
    testapp, w, enrolled, make_user, auth_headers
):
    """An unknown id, a student, and a teacher of other subjects are one answer to a tutor
    (before: "No active teacher or tutor" told teachers apart from the rest)."""
    headers = auth_headers(w.tutor)
    candidates = [10**9, w.parent.id, make_user("teacher").id, make_user("tutor").id]
    created, patched = set(), set()
    for teacher_id in candidates:
        res = testapp.post_json(
            ENROLLMENTS, body(w, teacher_id=teacher_id), headers=headers, status=400
        )
        created.add(repr(res.json["errors"]))
        res = testapp.patch_json(
            one(enrolled.id), {"teacher_id": teacher_id}, headers=headers, status=400
        )
        patched.add(repr(res.json["errors"]))
    assert len(created) == 1 and len(patched) == 1
    assert created == patched


def test_custom_subject_name_can_be_set_and_cleared(testapp, w, enrolled, auth_headers):
    headers = auth_headers(w.teacher)
    data = testapp.patch_json(
        one(enrolled.id), {"custom_subject_name": "  Olympiad  "}, headers=headers
    ).json
    assert data["subject_name"] == "Olympiad"
    data = testapp.patch_json(
        one(enrolled.id), {"custom_subject_name": None}, headers=headers
    ).json
    assert data["custom_subject_name"] is None and data["subject_name"] == "Algebra"


@pytest.mark.parametrize(
    "payload", [{"status": "paused"}, {"student_id": 1}, {"teacher_id": None}, {"status": 1}]
)
def test_bad_patches_are_400(testapp, w, enrolled, payload, auth_headers):
    testapp.patch_json(one(enrolled.id), payload, headers=auth_headers(w.admin), status=400)


def test_stale_if_match_is_412_and_etag_gives_304(testapp, w, enrolled, auth_headers):
    headers = auth_headers(w.admin)
    res = testapp.get(one(enrolled.id), headers=headers)
    etag = res.headers["ETag"]
    testapp.get(one(enrolled.id), headers={**headers, "If-None-Match": etag}, status=304)
    testapp.patch_json(one(enrolled.id), {"status": "completed"}, headers=headers)
    testapp.patch_json(
        one(enrolled.id),
        {"status": "dropped"},
        headers={**headers, "If-Match": etag},
        status=412,
    )


@pytest.mark.parametrize("path", ["0/", "abc/", "99999999/", "1e3/"])
def test_unknown_enrollment_ids_are_404(testapp, w, path, auth_headers):
    testapp.get(ENROLLMENTS + path, headers=auth_headers(w.admin), status=404)


# --- listing -----------------------------------------------------------------------------


def test_list_filters(testapp, dbsession, w, make_user, auth_headers):
    other_subject = SubjectFactory(name="Geometry")
    e1 = EnrollmentFactory(
        student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id
    )
    e2 = EnrollmentFactory(
        student_id=w.student.id, subject_id=other_subject.id, teacher_id=w.teacher.id
    )
    e3 = EnrollmentFactory(student_id=make_user("student").id, status="completed")
    dbsession.flush()
    headers = auth_headers(w.admin)

    def ids(**query):
        return [i["id"] for i in testapp.get(ENROLLMENTS, query, headers=headers).json["items"]]

    assert ids() == [e3.id, e2.id, e1.id]
    assert ids(student=w.student.id) == [e2.id, e1.id]
    assert ids(subject=other_subject.id) == [e2.id]
    assert ids(teacher=w.teacher.id, subject=w.subject.id) == [e1.id]
    assert ids(status="completed") == [e3.id]
    testapp.get(ENROLLMENTS, {"status": "nope"}, headers=headers, status=400)
    testapp.get(ENROLLMENTS, {"student": "me"}, headers=headers, status=400)
    testapp.get(ENROLLMENTS, {"colour": "red"}, headers=headers, status=400)


def test_list_is_cursor_paginated(testapp, dbsession, w, auth_headers):
    made = [EnrollmentFactory(teacher_id=w.teacher.id) for _ in range(5)]
    dbsession.flush()
    headers = auth_headers(w.teacher)
    res = testapp.get(ENROLLMENTS, {"limit": 2}, headers=headers)
    assert 'rel="next"' in res.headers["Link"]
    seen = [i["id"] for i in res.json["items"]]
    cursor = res.json["next_cursor"]
    while cursor:
        page = testapp.get(ENROLLMENTS, {"limit": 2, "cursor": cursor}, headers=headers).json
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted((e.id for e in made), reverse=True)
    testapp.get(ENROLLMENTS, {"cursor": "!!"}, headers=headers, status=400)
    testapp.get(ENROLLMENTS, {"limit": 0}, headers=headers, status=400)
    testapp.get(ENROLLMENTS, {"limit": 201}, headers=headers, status=400)


def test_list_query_count_is_constant(
    testapp, dbsession, w, make_user, auth_headers, count_queries
):
    headers = auth_headers(w.admin)

    def add(n):
        for _ in range(n):
            EnrollmentFactory(
                student_id=make_user("student").id,
                subject_id=w.subject.id,
                teacher_id=w.teacher.id,
                assigned_by_id=w.tutor.id,
            )
        dbsession.flush()

    add(1)
    with count_queries() as few:
        assert len(testapp.get(ENROLLMENTS, headers=headers).json["items"]) == 1
    add(29)
    with count_queries() as many:
        assert len(testapp.get(ENROLLMENTS, headers=headers).json["items"]) == 30
    assert few.count == many.count


# --- enrollments widen who sees whom --------------------------------------------------------


def test_enrollment_lets_the_teacher_see_the_student_and_the_parent_the_teacher(
    testapp, w, auth_headers
):
    student_url = f"/api/accounts/users/{w.student.id}/"
    teacher_url = f"/api/accounts/users/{w.teacher.id}/"
    testapp.get(student_url, headers=auth_headers(w.teacher), status=404)
    testapp.get(teacher_url, headers=auth_headers(w.parent), status=404)
    testapp.post_json(ENROLLMENTS, body(w), headers=auth_headers(w.admin), status=201)
    testapp.get(student_url, headers=auth_headers(w.teacher), status=200)
    testapp.get(teacher_url, headers=auth_headers(w.parent), status=200)


def test_ended_enrollments_no_longer_make_a_teaching_relation(
    testapp, dbsession, w, enrolled, auth_headers
):
    student_url = f"/api/accounts/users/{w.student.id}/"
    testapp.get(student_url, headers=auth_headers(w.teacher), status=200)
    testapp.patch_json(one(enrolled.id), {"status": "completed"}, headers=auth_headers(w.admin))
    testapp.get(student_url, headers=auth_headers(w.teacher), status=404)
    assert dbsession.get(Enrollment, enrolled.id) is not None


def test_huge_ids_and_forged_cursors_are_400_or_404_never_500(testapp, w, auth_headers):
    headers = auth_headers(w.admin)
    big = 2**40
    res = testapp.post_json(
        ENROLLMENTS,
        {"student_id": big, "subject_id": big, "teacher_id": big},
        headers=headers,
        status=400,
    )
    assert {e["name"] for e in res.json["errors"]} == {"student_id", "subject_id", "teacher_id"}
    testapp.get(ENROLLMENTS, {"teacher": big}, headers=headers, status=400)
    testapp.get(one(big), headers=headers, status=404)
    testapp.get(one(10**17), headers=headers, status=404)
    for values in ([10**13], ["x"], [True], [1, 2]):
        forged = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
        testapp.get(ENROLLMENTS, {"cursor": forged}, headers=headers, status=400)
    testapp.post_json(
        ENROLLMENTS, body(w, custom_subject_name="a\x00b"), headers=headers, status=400
    )
