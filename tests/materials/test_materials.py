"""Materials CRUD: fields and validation, publishing, soft delete, ETags, list filters,
pagination and a constant number of queries."""

from __future__ import annotations

import pytest
from materials_support import (  # noqa: F401
    API,
    make_subject,
    mark_dashboards,
    material_url,
    school_fixture,
    teach,
)
from sqlalchemy import select

from factories import MaterialFactory, MaterialSubmissionFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.audit import AuditEvent

PROBLEM = "application/problem+json"


def create(testapp, school, user=None, **fields):
    body = {"title": "Fractions", "subject_id": school.subject.id, "type": "lesson", **fields}
    return testapp.post_json(API, body, headers=school.headers(user or school.teacher))


def test_create_returns_the_material_with_defaults(testapp, school):
    data = create(
        testapp, school, content="  # Intro\n\nText", tags=["Maths", " maths ", "Year 5"]
    )
    assert data.status_int == 201
    body = data.json
    assert body["status"] == "draft" and body["published_at"] is None
    assert body["content"] == "  # Intro\n\nText"  # markdown kept as written
    assert body["tags"] == ["maths", "year 5"]
    assert body["difficulty"] == 1 and body["is_public"] is False and body["file"] is None
    assert body["subject"] == {
        "id": school.subject.id,
        "name": school.subject.name,
        "color": school.subject.color,
    }
    assert body["assigned_student_ids"] == []
    fetched = testapp.get(data.headers["Location"], headers=school.headers(school.teacher))
    assert fetched.json == body


def test_creating_active_publishes_at_once(testapp, school):
    body = create(testapp, school, status="active").json
    assert body["published_at"] is not None


def test_publishing_sets_published_at_each_time_it_becomes_active(testapp, school):
    headers = school.headers(school.teacher)
    url = material_url(create(testapp, school).json["id"])
    first = testapp.patch_json(url, {"status": "active"}, headers=headers).json["published_at"]
    assert first is not None
    archived = testapp.patch_json(url, {"status": "archived"}, headers=headers).json
    assert archived["published_at"] == first  # archiving keeps the date of publication
    again = testapp.patch_json(url, {"status": "active"}, headers=headers).json["published_at"]
    assert again is not None and again >= first
    [event] = school.dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "material.updated",
            AuditEvent.details["status_to"].as_string() == "archived",
        )
    )
    assert event.details["status_from"] == "active"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("video_url", "http://video.example.com/1"),
        ("video_url", "javascript:alert(1)"),
        ("video_url", "https://"),
        ("video_url", "https://exa mple.com/v"),
        ("video_url", 5),
        ("difficulty", 0),
        ("difficulty", 6),
        ("difficulty", 2.5),
        ("type", "podcast"),
        ("status", "published"),
        ("title", ""),
        ("title", "x" * 256),
        ("tags", "maths"),
        ("tags", ["x" * 51]),
        ("tags", [f"t{i}" for i in range(21)]),
        ("is_public", "maybe"),
        ("subject_id", "one"),
        ("unknown", 1),
    ],
)
def test_bad_fields_are_400_problems(testapp, school, field, value):
    body = {"title": "T", "subject_id": school.subject.id, "type": "lesson", field: value}
    response = testapp.post_json(API, body, headers=school.headers(school.teacher), status=400)
    assert response.content_type == PROBLEM
    errors = response.json["errors"]
    assert any(e["name"].split(".")[0] == field or field in e["description"] for e in errors)


def test_video_url_must_be_https_and_can_be_cleared(testapp, school):
    headers = school.headers(school.teacher)
    body = create(testapp, school, type="video", video_url="https://video.example.com/w?v=1").json
    assert body["video_url"] == "https://video.example.com/w?v=1"
    url = material_url(body["id"])
    testapp.patch_json(url, {"video_url": "ftp://x.example.com/v"}, headers=headers, status=400)
    assert testapp.patch_json(url, {"video_url": None}, headers=headers).json["video_url"] is None


def test_malformed_json_and_wrong_content_type_are_400(testapp, school):
    headers = {**school.headers(school.teacher), "Content-Type": "application/json"}
    testapp.post(API, "{not json", headers=headers, status=400)
    testapp.post(API, "title=x", headers={**headers, "Content-Type": "text/plain"}, status=400)


def test_get_has_an_etag_and_honours_if_none_match(testapp, school):
    material = school.material()
    headers = school.headers(school.enrolled)
    response = testapp.get(material_url(material), headers=headers)
    assert response.etag
    testapp.get(
        material_url(material),
        headers={**headers, "If-None-Match": f'"{response.etag}"'},
        status=304,
    )
    assert "assigned_student_ids" not in response.json  # only editors see whom it is for


def test_patch_with_a_stale_if_match_is_412(testapp, school):
    material = school.material()
    headers = school.headers(school.teacher)
    etag = testapp.get(material_url(material), headers=headers).etag
    testapp.patch_json(
        material_url(material), {"title": "One"}, headers={**headers, "If-Match": f'"{etag}"'}
    )
    response = testapp.patch_json(
        material_url(material),
        {"title": "Two"},
        headers={**headers, "If-Match": f'"{etag}"'},
        status=412,
    )
    assert response.content_type == PROBLEM
    assert testapp.get(material_url(material), headers=headers).json["title"] == "One"


def test_homework_with_submissions_keeps_its_type(testapp, school):
    material = school.material(type="homework")
    MaterialSubmissionFactory(material_id=material.id, student_id=school.enrolled.id)
    response = testapp.patch_json(
        material_url(material),
        {"type": "lesson"},
        headers=school.headers(school.teacher),
        status=409,
    )
    assert response.json["errors"][0]["name"] == "type"


def test_delete_is_soft_and_audited(testapp, school):
    material = school.material()
    testapp.delete(material_url(material), headers=school.headers(school.teacher), status=204)
    school.dbsession.refresh(material)
    assert material.deleted_at is not None
    [event] = school.dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "material.deleted")
    )
    assert event.target_id == str(material.id) and event.actor_id == school.teacher.id


# --- the list -------------------------------------------------------------------------------


def ids(response):
    return [m["id"] for m in response.json["items"]]


def test_list_filters(testapp, school):
    other_subject = make_subject(school.dbsession)
    teach(school.dbsession, school.teacher, other_subject)
    a = school.material(title="Adding fractions", type="lesson", tags=["fractions", "year 5"])
    b = school.material(title="Decimals", type="homework", content="Fractions as decimals")
    c = school.material(
        title="Essay", status="draft", subject_id=other_subject.id, tags=["year 5"]
    )
    d = school.material(title="Open", author_id=school.colleague.id, is_public=True, tags=["ünï"])
    headers = school.headers(school.teacher)

    def listed(**params):
        return set(ids(testapp.get(API, params, headers=headers)))

    assert listed() == {a.id, b.id, c.id, d.id}
    assert listed(subject=other_subject.id) == {c.id}
    assert listed(type="homework") == {b.id}
    assert listed(status="draft") == {c.id}
    assert listed(author=school.colleague.id) == {d.id}
    assert listed(q="fraction") == {a.id, b.id}  # title or content, any case
    assert listed(q="100%") == set()  # wildcards are literal
    assert listed(tag="Year 5") == {a.id, c.id}
    assert listed(tag="ÜNÏ") == {d.id}
    assert listed(tag="year") == set()  # whole tags only
    assert listed(is_public="true") == {d.id}


@pytest.mark.parametrize(
    "params",
    [
        {"type": "podcast"},
        {"status": "x"},
        {"subject": "abc"},
        {"limit": 0},
        {"limit": 201},
        {"cursor": "!!"},
        {"is_public": "maybe"},
        {"colour": "red"},
    ],  # fmt: skip
)
def test_bad_list_parameters_are_400(testapp, school, params):
    response = testapp.get(API, params, headers=school.headers(school.teacher), status=400)
    assert response.content_type == PROBLEM


def test_list_is_newest_first_paginated_and_without_content(testapp, school):
    made = [school.material(title=f"M{i}") for i in range(5)]
    headers = school.headers(school.enrolled)
    first = testapp.get(API, {"limit": 2}, headers=headers)
    assert 'rel="next"' in first.headers["Link"]
    assert "content" not in first.json["items"][0]
    seen = ids(first)
    cursor = first.json["next_cursor"]
    while cursor:
        page = testapp.get(API, {"limit": 2, "cursor": cursor}, headers=headers)
        seen += ids(page)
        cursor = page.json["next_cursor"]
    assert seen == [m.id for m in reversed(made)]


def test_list_query_count_is_constant(testapp, app, school, count_queries):
    other = make_subject(school.dbsession)
    headers = school.headers(school.enrolled)
    school.material(tags=["a"])
    testapp.get(API, headers=headers)  # warm up (token lookups cached per request anyway)
    with count_queries() as few:
        assert len(testapp.get(API, headers=headers).json["items"]) == 1
    for i in range(29):
        author = school.teacher if i % 2 else school.colleague
        MaterialFactory(
            status="active",
            author_id=author.id,
            subject_id=school.subject.id if i % 3 else other.id,
            is_public=not i % 3,
            tags=["a", "b"],
        )
    reset_limits(app.registry)
    with count_queries() as many:
        assert len(testapp.get(API, headers=headers).json["items"]) == 30
    assert few.count == many.count


def test_material_routes_do_not_swallow_sibling_collections(testapp, school):
    # Material ids are digits only: /api/materials/subjects/ is the subjects API.
    response = testapp.get(f"{API}subjects/", headers=school.headers(school.teacher))
    assert school.subject.id in {s["id"] for s in response.json["items"]}


def test_publishing_invalidates_the_subjects_dashboards(testapp, app, school):
    material = school.material(status="draft", assign=False)
    invalidated = mark_dashboards(app, [school.enrolled, school.enrolled_parent, school.stranger])
    testapp.patch_json(
        material_url(material), {"status": "active"}, headers=school.headers(school.teacher)
    )
    assert invalidated() == {school.enrolled.id, school.enrolled_parent.id}
