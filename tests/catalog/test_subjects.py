"""Subjects: everyone signed in reads the catalogue, admins write it; unique names; DELETE
only while nothing refers to the subject; conditional requests; constant query count."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from factories import EnrollmentFactory, SubjectFactory, TeacherSubjectFactory
from thebot.audit import AuditEvent
from thebot.catalog.models import Subject, TeacherSubject
from thebot.materials.models import Material

SUBJECTS = "/api/materials/subjects/"
ROLES = ("admin", "teacher", "tutor", "parent", "student")


def one(subject_id):
    return f"{SUBJECTS}{subject_id}/"


@pytest.fixture
def admin_headers(make_user, auth_headers):
    return auth_headers(make_user("admin"))


def test_every_signed_in_role_reads_the_catalogue_by_name(
    testapp, dbsession, make_user, auth_headers
):
    SubjectFactory(name="Physics")
    SubjectFactory(name="Algebra", description="Equations", color="#ff0000")
    dbsession.flush()
    for role in ROLES:
        items = testapp.get(SUBJECTS, headers=auth_headers(make_user(role))).json["items"]
        assert [s["name"] for s in items] == ["Algebra", "Physics"]
    algebra = items[0]
    assert algebra["description"] == "Equations" and algebra["color"] == "#ff0000"
    assert set(algebra) == {"id", "name", "description", "color", "created_at", "updated_at"}


def test_anonymous_and_monitoring_token_cannot_read(testapp, dbsession, monitor_headers):
    subject = SubjectFactory()
    dbsession.flush()
    testapp.get(SUBJECTS, status=401)
    testapp.get(one(subject.id), status=401)
    testapp.get(SUBJECTS, headers=monitor_headers, status=403)


def test_search_and_pagination(testapp, dbsession, admin_headers):
    for name in ("Geometry", "Algebra", "Linear algebra", "Biology", "Chemistry"):
        SubjectFactory(name=name)
    dbsession.flush()
    found = testapp.get(SUBJECTS, {"q": "ALGEBRA"}, headers=admin_headers).json["items"]
    assert [s["name"] for s in found] == ["Algebra", "Linear algebra"]
    assert testapp.get(SUBJECTS, {"q": "%"}, headers=admin_headers).json["items"] == []
    page = testapp.get(SUBJECTS, {"limit": 2}, headers=admin_headers)
    assert 'rel="next"' in page.headers["Link"]
    names = [s["name"] for s in page.json["items"]]
    rest = testapp.get(SUBJECTS, {"cursor": page.json["next_cursor"]}, headers=admin_headers)
    names += [s["name"] for s in rest.json["items"]]
    assert names == ["Algebra", "Biology", "Chemistry", "Geometry", "Linear algebra"]
    assert rest.json["next_cursor"] is None


def test_admin_creates_a_subject(testapp, dbsession, admin_headers):
    res = testapp.post_json(
        SUBJECTS,
        {"name": "  Informatics ", "description": "Python", "color": "#AABBCC"},
        headers=admin_headers,
        status=201,
    )
    data = res.json
    assert res.headers["Location"].endswith(one(data["id"]))
    assert data["name"] == "Informatics" and data["color"] == "#aabbcc"
    default = testapp.post_json(SUBJECTS, {"name": "Art"}, headers=admin_headers).json
    assert default["color"] == "#4a90d9" and default["description"] == ""
    event = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "subject.created"))
    assert {e.target_id for e in event} == {str(data["id"]), str(default["id"])}


@pytest.mark.parametrize("role", ["teacher", "tutor", "parent", "student"])
def test_only_admins_write_subjects(testapp, dbsession, make_user, auth_headers, role):
    subject = SubjectFactory()
    dbsession.flush()
    headers = auth_headers(make_user(role))
    testapp.post_json(SUBJECTS, {"name": "New"}, headers=headers, status=403)
    testapp.patch_json(one(subject.id), {"name": "New"}, headers=headers, status=403)
    testapp.delete(one(subject.id), headers=headers, status=403)


def test_names_are_unique_ignoring_case(testapp, dbsession, admin_headers):
    SubjectFactory(name="Chemistry")
    other = SubjectFactory(name="Biology")
    dbsession.flush()
    res = testapp.post_json(SUBJECTS, {"name": "chemistry"}, headers=admin_headers, status=409)
    assert res.json["type"].endswith("/conflict") and res.json["errors"][0]["name"] == "name"
    testapp.patch_json(one(other.id), {"name": "CHEMISTRY"}, headers=admin_headers, status=409)
    testapp.patch_json(one(other.id), {"name": "biology"}, headers=admin_headers, status=200)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "Art", "color": "red"},
        {"name": "Art", "color": "#12345"},
        {"name": "Art", "colour": "#123456"},
        {"name": None},
        {"name": 7},
        [],
    ],
)
def test_bad_subject_bodies_are_400(testapp, admin_headers, payload):
    res = testapp.post_json(SUBJECTS, payload, headers=admin_headers, status=400)
    assert res.content_type == "application/problem+json" and res.json["errors"]


def test_malformed_json_is_400(testapp, admin_headers):
    testapp.post(
        SUBJECTS,
        b"{not json",
        headers={**admin_headers, "Content-Type": "application/json"},
        status=400,
    )


def test_get_patch_with_etags(testapp, dbsession, admin_headers):
    subject = SubjectFactory(name="Music")
    dbsession.flush()
    res = testapp.get(one(subject.id), headers=admin_headers)
    etag = res.headers["ETag"]
    testapp.get(one(subject.id), headers={**admin_headers, "If-None-Match": etag}, status=304)
    data = testapp.patch_json(
        one(subject.id),
        {"description": "Solfeggio", "color": "#000000"},
        headers={**admin_headers, "If-Match": etag},
    ).json
    assert data["description"] == "Solfeggio" and data["color"] == "#000000"
    testapp.patch_json(
        one(subject.id),
        {"name": "Singing"},
        headers={**admin_headers, "If-Match": etag},
        status=412,
    )
    [event] = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "subject.updated"))
    assert event.details["fields"] == ["color", "description"]


@pytest.mark.parametrize("path", ["0/", "x/", "999999/", "-1/"])
def test_unknown_subjects_are_404(testapp, admin_headers, path):
    testapp.get(SUBJECTS + path, headers=admin_headers, status=404)


def test_delete_is_refused_while_enrollments_or_materials_exist(
    testapp, dbsession, make_user, admin_headers
):
    with_enrollment = SubjectFactory()
    EnrollmentFactory(subject_id=with_enrollment.id, status="dropped")
    with_material = SubjectFactory()
    dbsession.add(
        Material(
            title="Old notes",
            author_id=make_user("teacher").id,
            subject_id=with_material.id,
            type="lesson",
            status="archived",
        )
    )
    dbsession.flush()
    res = testapp.delete(one(with_enrollment.id), headers=admin_headers, status=409)
    assert res.json["enrollments"] == 1 and res.json["materials"] == 0
    res = testapp.delete(one(with_material.id), headers=admin_headers, status=409)
    assert res.json["materials"] == 1
    assert dbsession.get(Subject, with_material.id) is not None


def test_delete_removes_an_unused_subject_and_its_assignments(testapp, dbsession, admin_headers):
    subject = SubjectFactory()
    TeacherSubjectFactory(subject_id=subject.id)
    dbsession.flush()
    subject_id = subject.id
    testapp.delete(one(subject_id), headers=admin_headers, status=204)
    dbsession.expire_all()
    assert dbsession.get(Subject, subject_id) is None
    left = dbsession.scalars(select(TeacherSubject).where(TeacherSubject.subject_id == subject_id))
    assert left.all() == []
    [event] = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "subject.deleted"))
    assert event.target_id == str(subject_id)
    testapp.get(one(subject_id), headers=admin_headers, status=404)


def test_list_query_count_is_constant(testapp, dbsession, admin_headers, queries_for_1_and_30):
    def add(n):
        for _ in range(n):
            SubjectFactory()
        dbsession.flush()

    queries_for_1_and_30(add, lambda: testapp.get(SUBJECTS, headers=admin_headers).json["items"])


def cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": cursor([5, 1])},  # a number where the name goes
        {"cursor": cursor(["A", "1"])},
        {"cursor": cursor(["A", 2**40])},  # beyond the INTEGER ids
        {"cursor": cursor(["A"])},
        {"cursor": "%%%"},
        {"teacher": 2**40},
        {"teacher": "1.5"},
        {"q": "a\x00b"},
    ],
)
def test_forged_queries_are_400_on_every_database(testapp, dbsession, admin_headers, query):
    SubjectFactory(name="A")
    dbsession.flush()
    res = testapp.get(SUBJECTS, query, headers=admin_headers, status=400)
    assert res.json["errors"][0]["location"] == "querystring"


def test_nul_characters_and_huge_ids_never_reach_the_database(testapp, admin_headers):
    testapp.post_json(SUBJECTS, {"name": "a\x00b"}, headers=admin_headers, status=400)
    testapp.get(one(2**40), headers=admin_headers, status=404)
    testapp.get(one(10**17), headers=admin_headers, status=404)
    testapp.get(f"{SUBJECTS}{2**40}/teachers/", headers=admin_headers, status=404)
    testapp.delete(f"{SUBJECTS}{2**40}/teachers/{2**40}/", headers=admin_headers, status=404)
