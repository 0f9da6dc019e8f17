"""Teacher-subject assignments: admins assign teachers and tutors (active flag); who sees the
teachers of a subject; the subjects a teacher teaches (for the teacher profile)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory, TeacherSubjectFactory
from thebot.audit import AuditEvent
from thebot.catalog.models import TeacherSubject
from thebot.catalog.subjects import subjects_taught

SUBJECTS = "/api/materials/subjects/"


def teachers_url(subject_id, user_id=None):
    tail = f"{user_id}/" if user_id is not None else ""
    return f"{SUBJECTS}{subject_id}/teachers/{tail}"


@pytest.fixture
def w(make_user, dbsession, auth_headers):
    admin = make_user("admin")
    subject = SubjectFactory(name="Chemistry")
    dbsession.flush()
    return SimpleNamespace(admin=admin, subject=subject, headers=auth_headers(admin))


def actions(dbsession, action):
    return dbsession.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_admin_assigns_a_teacher_and_a_tutor(testapp, dbsession, w, make_user):
    teacher, tutor = make_user("teacher"), make_user("tutor")
    res = testapp.post_json(
        teachers_url(w.subject.id), {"teacher_id": teacher.id}, headers=w.headers, status=201
    )
    assert res.json["teacher"]["id"] == teacher.id and res.json["is_active"] is True
    assert res.json["subject_id"] == w.subject.id
    testapp.post_json(
        teachers_url(w.subject.id), {"teacher_id": tutor.id}, headers=w.headers, status=201
    )
    again = testapp.post_json(
        teachers_url(w.subject.id), {"teacher_id": teacher.id}, headers=w.headers, status=200
    )
    assert again.json["id"] == res.json["id"]
    assert len(actions(dbsession, "subject.teacher_assigned")) == 2
    items = testapp.get(teachers_url(w.subject.id), headers=w.headers).json["items"]
    assert [i["teacher"]["id"] for i in items] == [teacher.id, tutor.id]


@pytest.mark.parametrize("role", ["student", "parent", "admin"])
def test_only_teachers_and_tutors_can_be_assigned(testapp, w, make_user, role):
    res = testapp.post_json(
        teachers_url(w.subject.id),
        {"teacher_id": make_user(role).id},
        headers=w.headers,
        status=400,
    )
    assert res.json["errors"][0]["name"] == "teacher_id"


def test_inactive_or_unknown_teachers_cannot_be_assigned(testapp, w, make_user):
    inactive = make_user("teacher", is_active=False)
    for teacher_id in (inactive.id, 999999):
        testapp.post_json(
            teachers_url(w.subject.id), {"teacher_id": teacher_id}, headers=w.headers, status=400
        )
    testapp.post_json(teachers_url(w.subject.id), {}, headers=w.headers, status=400)
    testapp.post_json(
        teachers_url(w.subject.id), {"teacher_id": "7"}, headers=w.headers, status=400
    )


@pytest.mark.parametrize("role", ["teacher", "tutor", "student", "parent"])
def test_only_admins_manage_assignments(testapp, dbsession, w, make_user, auth_headers, role):
    assignment = TeacherSubjectFactory(subject_id=w.subject.id)
    dbsession.flush()
    headers = auth_headers(make_user(role))
    testapp.post_json(
        teachers_url(w.subject.id),
        {"teacher_id": assignment.teacher_id},
        headers=headers,
        status=403,
    )
    testapp.delete(teachers_url(w.subject.id, assignment.teacher_id), headers=headers, status=403)
    testapp.delete(teachers_url(w.subject.id, 999999), headers=headers, status=403)


def test_delete_deactivates_once_and_keeps_the_record(testapp, dbsession, w):
    assignment = TeacherSubjectFactory(subject_id=w.subject.id)
    dbsession.flush()
    url = teachers_url(w.subject.id, assignment.teacher_id)
    testapp.delete(url, headers=w.headers, status=204)
    testapp.delete(url, headers=w.headers, status=204)
    dbsession.refresh(assignment)
    assert assignment.is_active is False
    assert len(actions(dbsession, "subject.teacher_removed")) == 1
    assert testapp.get(teachers_url(w.subject.id), headers=w.headers).json["items"] == []
    ended = testapp.get(teachers_url(w.subject.id), {"is_active": "false"}, headers=w.headers)
    assert [i["id"] for i in ended.json["items"]] == [assignment.id]
    back = testapp.post_json(
        teachers_url(w.subject.id),
        {"teacher_id": assignment.teacher_id, "is_active": True},
        headers=w.headers,
        status=200,
    )
    assert back.json["is_active"] is True


def test_unknown_assignments_are_404(testapp, w, make_user):
    testapp.delete(
        teachers_url(w.subject.id, make_user("teacher").id), headers=w.headers, status=404
    )
    testapp.delete(teachers_url(w.subject.id, "abc"), headers=w.headers, status=404)
    testapp.get(teachers_url(999999), headers=w.headers, status=404)


def test_removal_is_refused_while_the_teacher_has_active_enrollments(testapp, dbsession, w):
    assignment = TeacherSubjectFactory(subject_id=w.subject.id)
    enrollment = EnrollmentFactory(subject_id=w.subject.id, teacher_id=assignment.teacher_id)
    dbsession.flush()
    url = teachers_url(w.subject.id, assignment.teacher_id)
    res = testapp.delete(url, headers=w.headers, status=409)
    assert res.json["active_enrollments"] == 1
    testapp.post_json(
        teachers_url(w.subject.id),
        {"teacher_id": assignment.teacher_id, "is_active": False},
        headers=w.headers,
        status=409,
    )
    enrollment.status = "completed"
    dbsession.flush()
    testapp.delete(url, headers=w.headers, status=204)


def test_who_sees_the_teachers_of_a_subject(testapp, dbsession, w, make_user, auth_headers):
    mine, other = make_user("teacher"), make_user("teacher")
    gone = make_user("teacher", is_active=False)
    for teacher in (mine, other, gone):
        TeacherSubjectFactory(teacher_id=teacher.id, subject_id=w.subject.id)
    student, stranger = make_user("student"), make_user("student")
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    EnrollmentFactory(student_id=student.id, subject_id=w.subject.id, teacher_id=mine.id)
    dbsession.flush()

    def seen(user, **query):
        items = testapp.get(teachers_url(w.subject.id), query, headers=auth_headers(user))
        return [i["teacher"]["id"] for i in items.json["items"]]

    assert seen(w.admin) == [mine.id, other.id, gone.id]
    for staff in (make_user("teacher"), make_user("tutor")):
        assert seen(staff) == [mine.id, other.id]  # deactivated accounts are hidden
        assert seen(staff, is_active="false") == []  # ended assignments: admins only
    assert seen(student) == [mine.id]
    assert seen(parent) == [mine.id]
    assert seen(stranger) == []


def test_subjects_a_teacher_teaches(testapp, dbsession, make_user, auth_headers):
    teacher = make_user("teacher")
    a, b, c = SubjectFactory(name="B"), SubjectFactory(name="A"), SubjectFactory(name="C")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=a.id)
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=b.id)
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=c.id, is_active=False)
    student = make_user("student")
    dbsession.flush()
    url = SUBJECTS
    taught = testapp.get(url, {"teacher": teacher.id}, headers=auth_headers(make_user("tutor")))
    assert [s["name"] for s in taught.json["items"]] == ["A", "B"]
    # a student learns that only about their own teachers
    hidden = testapp.get(url, {"teacher": teacher.id}, headers=auth_headers(student))
    assert hidden.json["items"] == []
    EnrollmentFactory(student_id=student.id, subject_id=a.id, teacher_id=teacher.id)
    dbsession.flush()
    shown = testapp.get(url, {"teacher": teacher.id}, headers=auth_headers(student))
    assert [s["name"] for s in shown.json["items"]] == ["A", "B"]
    assert subjects_taught(dbsession, [teacher.id, student.id]) == {
        teacher.id: [
            {"id": b.id, "name": "A", "color": "#4a90d9"},
            {"id": a.id, "name": "B", "color": "#4a90d9"},
        ],
        student.id: [],
    }
    assert subjects_taught(dbsession, []) == {}


def test_list_query_count_is_constant(testapp, dbsession, w, make_user, queries_for_1_and_30):
    def add(n):
        for _ in range(n):
            TeacherSubjectFactory(teacher_id=make_user("teacher").id, subject_id=w.subject.id)
        dbsession.flush()

    queries_for_1_and_30(
        add, lambda: testapp.get(teachers_url(w.subject.id), headers=w.headers).json["items"]
    )
    assert dbsession.scalar(select(TeacherSubject.id).limit(1)) is not None


def test_teacher_profile_lists_subjects_taught(testapp, make_user, auth_headers):
    from factories import SubjectFactory, TeacherSubjectFactory

    teacher = make_user("teacher")
    algebra = SubjectFactory(name="Algebra")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=algebra.id)
    ended = SubjectFactory(name="Latin")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=ended.id, is_active=False)
    body = testapp.get(
        f"/api/accounts/users/{teacher.id}/profile/", headers=auth_headers(teacher)
    ).json
    assert [s["name"] for s in body["subjects"]] == ["Algebra"]
