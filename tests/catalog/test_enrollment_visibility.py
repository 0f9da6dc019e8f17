"""Enrollment visibility matrix: caller role x action x relation to the enrollment.

The world: student S is tutored by T (profile) and has parent P; teacher E teaches S in
subject X through enrollment N. Tutor U teaches subject X too and has an enrollment M of
another student S2 (parent P2). E2 (teacher), T2 (tutor), S2's parent P2 are unrelated to N.

================  ===========================  ============  ====  =======
caller            relation to enrollment N     GET/PATCH     list  POST*
================  ===========================  ============  ====  =======
admin A           any                          200 / 200     yes   201
teacher E         the enrollment's teacher     200 / 200     yes   201
teacher E2        none                         404 / 404     no    404
tutor T           the student's tutor          200 / 200     yes   201
tutor U           teaches the subject only     404 / 404     no    404**
tutor T2          none                         404 / 404     no    404
student S         the enrolled student         200 / 403     yes   403
student S2        none                         404 / 404     no    403
parent P          the student's parent         200 / 403     yes   403
parent P2         none                         404 / 404     no    403
anonymous         -                            401 / 401     401   401
================  ===========================  ============  ====  =======

\\* POST enrolls S in subject Y with teacher E (E teaches Y; E already teaches S in X).
\\*\\* U tries to enroll S with themself (U teaches Y): teaching the subject is not a relation
to the student, and an enrollment would make S visible to U, so S is a 404 to U (as to E2
and T2), exactly like an unknown id.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory, TeacherSubjectFactory

ENROLLMENTS = "/api/materials/enrollments/"

VIEW_EDIT_LIST = {
    "A": (200, 200, True),
    "E": (200, 200, True),
    "E2": (404, 404, False),
    "T": (200, 200, True),
    "U": (404, 404, False),
    "T2": (404, 404, False),
    "S": (200, 403, True),
    "S2": (404, 404, False),
    "P": (200, 403, True),
    "P2": (404, 404, False),
}
CREATE = {
    "A": 201,
    "E": 201,
    "E2": 404,
    "T": 201,
    "U": 404,
    "T2": 404,
    "S": 403,
    "S2": 403,
    "P": 403,
    "P2": 403,
}


@pytest.fixture
def world(make_user, dbsession):
    people = {
        "A": make_user("admin"),
        "E": make_user("teacher"),
        "E2": make_user("teacher"),
        "T": make_user("tutor"),
        "U": make_user("tutor"),
        "T2": make_user("tutor"),
        "P": make_user("parent"),
        "P2": make_user("parent"),
    }
    people["S"] = make_user("student", profile={"tutor_id": people["T"].id})
    people["S2"] = make_user("student")
    ParentLinkFactory(student=people["S"], parent=people["P"])
    ParentLinkFactory(student=people["S2"], parent=people["P2"])
    x, y = SubjectFactory(), SubjectFactory()
    for teacher in ("E", "E2", "U"):
        for subject in (x, y):
            TeacherSubjectFactory(teacher_id=people[teacher].id, subject_id=subject.id)
    n = EnrollmentFactory(student_id=people["S"].id, subject_id=x.id, teacher_id=people["E"].id)
    m = EnrollmentFactory(student_id=people["S2"].id, subject_id=x.id, teacher_id=people["U"].id)
    dbsession.flush()
    return SimpleNamespace(people=people, x=x, y=y, n=n, m=m)


@pytest.mark.parametrize("caller", sorted(VIEW_EDIT_LIST))
def test_view_edit_and_list_by_relation(testapp, world, caller, auth_headers):
    view, edit, listed = VIEW_EDIT_LIST[caller]
    headers = auth_headers(world.people[caller])
    url = f"{ENROLLMENTS}{world.n.id}/"
    res = testapp.get(url, headers=headers, status=view)
    if view == 404:
        assert res.json["type"].endswith("/not-found")
    testapp.patch_json(url, {"custom_subject_name": "Renamed"}, headers=headers, status=edit)
    ids = {i["id"] for i in testapp.get(ENROLLMENTS, headers=headers).json["items"]}
    assert (world.n.id in ids) is listed


@pytest.mark.parametrize("caller", sorted(CREATE))
def test_create_by_relation(testapp, world, caller, auth_headers):
    people = world.people
    teacher = people["U"] if caller == "U" else people["E"]
    testapp.post_json(
        ENROLLMENTS,
        {"student_id": people["S"].id, "subject_id": world.y.id, "teacher_id": teacher.id},
        headers=auth_headers(people[caller]),
        status=CREATE[caller],
    )


def test_anonymous_gets_401_everywhere(testapp, world):
    url = f"{ENROLLMENTS}{world.n.id}/"
    testapp.get(url, status=401)
    testapp.patch_json(url, {"status": "completed"}, status=401)
    testapp.get(ENROLLMENTS, status=401)
    testapp.post_json(ENROLLMENTS, {"student_id": 1, "subject_id": 1}, status=401)


def test_unknown_and_invisible_enrollments_look_the_same(testapp, world, auth_headers):
    headers = auth_headers(world.people["E2"])
    hidden = testapp.get(f"{ENROLLMENTS}{world.n.id}/", headers=headers, status=404).json
    missing = testapp.get(f"{ENROLLMENTS}999999/", headers=headers, status=404).json
    assert hidden["detail"] == missing["detail"]


def test_each_role_lists_exactly_what_it_may_see(testapp, world, auth_headers):
    people, n, m = world.people, world.n.id, world.m.id
    expected = {
        "A": {n, m},
        "E": {n},
        "U": {m},
        "T": {n},
        "T2": set(),
        "S": {n},
        "S2": {m},
        "P": {n},
        "P2": {m},
    }
    for caller, wanted in expected.items():
        items = testapp.get(ENROLLMENTS, headers=auth_headers(people[caller])).json["items"]
        assert {i["id"] for i in items} == wanted, caller


def test_filters_never_widen_visibility(testapp, world, auth_headers):
    headers = auth_headers(world.people["P"])
    items = testapp.get(ENROLLMENTS, {"student": world.people["S2"].id}, headers=headers).json[
        "items"
    ]
    assert items == []
