"""Who sees a material: role x relation x status (and public), for the single GET and the
list. Everything not allowed is a 404, never a 403."""

from __future__ import annotations

import datetime as dt

import pytest
from materials_support import (  # noqa: F401  (fixture)
    API,
    make_subject,
    material_url,
    school_fixture,
)

from factories import MaterialAssignmentFactory, MaterialFactory
from thebot.accounts.auth.ratelimit import reset_limits

# relation -> the School attribute of the viewer
RELATIONS = {
    "author": "teacher",
    "admin": "admin",
    "assigned_student": "assigned",
    "enrolled_student": "enrolled",
    "parent_of_assigned": "assigned_parent",
    "parent_of_enrolled": "enrolled_parent",
    "teacher_of_subject": "colleague",  # teaches the subject but did not write it
    "tutor_of_assigned": "tutor",
    "unrelated_student": "stranger",
    "unrelated_teacher": "stranger_teacher",
    "unrelated_parent": "stranger_parent",
}
ALWAYS = {"author", "admin"}
WHEN_ACTIVE = {
    "assigned_student",
    "enrolled_student",
    "parent_of_assigned",
    "parent_of_enrolled",
}


def expected(status: str, public: bool) -> dict[str, int]:
    result = {}
    for relation in RELATIONS:
        if status == "deleted":
            seen = False
        elif relation in ALWAYS:
            seen = True
        else:
            seen = status == "active" and (public or relation in WHEN_ACTIVE)
        result[relation] = 200 if seen else 404
    return result


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
@pytest.mark.parametrize("status", ["draft", "active", "archived", "deleted"])
def test_visibility_matrix(testapp, app, school, status, public):
    material = school.material(
        status="archived" if status == "deleted" else status, is_public=public
    )
    if status == "deleted":
        material.deleted_at = dt.datetime.now(dt.timezone.utc)
        school.dbsession.flush()
    single, listed = {}, {}
    for relation, attr in RELATIONS.items():
        reset_limits(app.registry)
        headers = school.headers(getattr(school, attr))
        single[relation] = testapp.get(
            material_url(material), headers=headers, status="*"
        ).status_int
        page = testapp.get(API, {"limit": 200}, headers=headers).json
        listed[relation] = 200 if material.id in {m["id"] for m in page["items"]} else 404
    assert single == expected(status, public)
    assert listed == single


def test_hidden_material_is_404_on_every_sub_resource(testapp, school):
    material = school.material(status="draft", type="homework")
    headers = school.headers(school.stranger)
    for suffix in ("", "progress/", "comments/", "submissions/"):
        response = testapp.get(material_url(material, suffix), headers=headers, status=404)
        assert response.content_type == "application/problem+json"
    for suffix, body in (
        ("progress/", {"percentage": 10}),
        ("comments/", {"body": "hi"}),
        ("submissions/", {"text": "answer"}),
        ("assign/", {"student_ids": [school.stranger.id]}),
    ):
        testapp.post_json(material_url(material, suffix), body, headers=headers, status=404)
    testapp.patch_json(material_url(material), {"title": "x"}, headers=headers, status=404)
    testapp.delete(material_url(material), headers=headers, status=404)


def test_unknown_and_malformed_ids_are_404(testapp, school):
    headers = school.headers(school.admin)
    testapp.get(material_url(987654321), headers=headers, status=404)
    testapp.get(f"{API}abc/", headers=headers, status=404)
    testapp.get(f"{API}{'9' * 30}/", headers=headers, status=404)


def test_anonymous_callers_get_401_without_a_lookup(testapp, school):
    material = school.material(is_public=True)
    for url in (API, material_url(material), material_url(987654321)):
        response = testapp.get(url, status=401)
        assert response.headers["WWW-Authenticate"] == "Token"


def test_parent_stops_seeing_once_the_enrollment_ends(testapp, school):
    from sqlalchemy import update

    from thebot.catalog.models import Enrollment

    material = school.material(assign=False)
    headers = school.headers(school.enrolled_parent)
    testapp.get(material_url(material), headers=headers, status=200)
    school.dbsession.execute(
        update(Enrollment)
        .where(Enrollment.student_id == school.enrolled.id)
        .values(status="completed")
    )
    school.dbsession.flush()
    testapp.get(material_url(material), headers=headers, status=404)
    testapp.get(material_url(material), headers=school.headers(school.enrolled), status=404)


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
def test_student_pages_through_exactly_what_they_see_newest_first(testapp, school, limit):
    """Authored, public, enrolled-subject and assigned materials, mixed with hidden ones and
    sharing timestamps: every page size walks the same visible rows in (created_at, id)
    descending order, each once (the list walks an index carrying the visibility columns;
    the cursor bounds ``created_at`` and breaks ties on ``id``)."""
    student, db = school.enrolled, school.dbsession
    other = make_subject(db)  # not enrolled in
    base = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    cases = [  # (seen, fields, assigned to the student)
        (True, {"author_id": student.id, "subject_id": other.id, "status": "draft"}, False),
        (True, {"subject_id": other.id, "is_public": True}, False),
        (False, {"subject_id": other.id, "is_public": True, "status": "draft"}, False),
        (True, {"subject_id": school.subject.id}, False),
        (False, {"subject_id": school.subject.id, "status": "archived"}, False),
        (False, {"subject_id": school.subject.id, "deleted": True}, False),
        (True, {"subject_id": other.id}, True),
        (False, {"subject_id": other.id, "status": "draft"}, True),
        (False, {"subject_id": other.id}, False),
        (False, {"subject_id": other.id, "is_public": True, "deleted": True}, False),
    ]
    visible = []
    for i in range(30):
        seen, fields, assign = cases[i % len(cases)]
        fields = dict(fields)
        deleted = fields.pop("deleted", False)
        fields.setdefault("status", "active")
        created = base + dt.timedelta(hours=i // 4)  # four materials per timestamp
        material = MaterialFactory(
            created_at=created,
            deleted_at=created if deleted else None,
            **fields,
        )
        if assign:
            MaterialAssignmentFactory(material_id=material.id, student_id=student.id)
        if seen:
            visible.append((created, material.id))
    expected_ids = [mid for _, mid in sorted(visible, reverse=True)]
    headers, listed, cursor, pages = school.headers(student), [], None, 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = testapp.get(API, params, headers=headers).json
        listed += [m["id"] for m in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert listed == expected_ids
    assert pages == -(-len(expected_ids) // limit)
