"""Parent links of a student: listed, created and removed by admins and the student's tutor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from factories import ParentLinkFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.models import ParentLink
from thebot.audit import AuditEvent


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def world(make_user):
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    sibling = make_user("student", profile={"tutor_id": tutor.id})
    mum, dad = make_user("parent"), make_user("parent")
    ParentLinkFactory(student=student, parent=mum)
    ParentLinkFactory(student=sibling, parent=dad)
    return {"tutor": tutor, "student": student, "sibling": sibling, "mum": mum, "dad": dad}


def parents_url(student, parent=None):
    url = f"/api/accounts/users/{student.id}/parents/"
    return f"{url}{parent.id}/" if parent is not None else url


def actions(dbsession):
    return [e.action for e in dbsession.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.mark.parametrize("caller", ["tutor", "admin", "student"])
def test_links_are_listed(testapp, make_user, auth_headers, world, caller):
    user = make_user("admin") if caller == "admin" else world[caller]
    data = testapp.get(parents_url(world["student"]), headers=auth_headers(user)).json
    assert [i["parent"]["id"] for i in data["items"]] == [world["mum"].id]
    assert data["items"][0]["student_id"] == world["student"].id
    assert data["next_cursor"] is None


def test_tutor_links_and_unlinks_a_parent_audited(testapp, dbsession, auth_headers, world):
    headers = auth_headers(world["tutor"])
    student, dad = world["student"], world["dad"]
    res = testapp.post_json(
        parents_url(student), {"parent_id": dad.id}, headers=headers, status=201
    )
    assert res.json["parent"]["id"] == dad.id
    assert res.headers["Location"].endswith(parents_url(student, dad))
    # Linking again is not an error and not a new event.
    testapp.post_json(parents_url(student), {"parent_id": dad.id}, headers=headers, status=200)
    listed = testapp.get(parents_url(student), headers=headers).json["items"]
    assert {i["parent"]["id"] for i in listed} == {world["mum"].id, dad.id}
    testapp.delete(parents_url(student, dad), headers=headers, status=204)
    testapp.delete(parents_url(student, dad), headers=headers, status=404)
    assert actions(dbsession) == ["parent_link.created", "parent_link.removed"]
    assert (
        dbsession.scalar(
            select(ParentLink).where(
                ParentLink.student_id == student.id, ParentLink.parent_id == dad.id
            )
        )
        is None
    )


def test_admin_links_any_parent(testapp, make_user, auth_headers, world):
    stranger = make_user("parent")
    headers = auth_headers(make_user("admin"))
    testapp.post_json(
        parents_url(world["student"]), {"parent_id": stranger.id}, headers=headers, status=201
    )


def test_tutor_cannot_link_invisible_or_non_parent_accounts(
    testapp, make_user, auth_headers, world
):
    headers = auth_headers(world["tutor"])
    for parent_id in (
        make_user("parent").id,
        make_user("teacher").id,
        world["sibling"].id,
        999999,
    ):
        res = testapp.post_json(
            parents_url(world["student"]), {"parent_id": parent_id}, headers=headers, status=400
        )
        assert res.json["errors"][0]["name"] == "parent_id"
    testapp.post_json(
        parents_url(world["student"]), {"parent_id": "x"}, headers=headers, status=400
    )
    testapp.post_json(parents_url(world["student"]), {}, headers=headers, status=400)


def test_parent_links_of_a_non_student_are_refused(testapp, make_user, auth_headers, world):
    headers = auth_headers(make_user("admin"))
    res = testapp.post_json(
        parents_url(world["tutor"]), {"parent_id": world["mum"].id}, headers=headers, status=400
    )
    assert res.json["errors"][0]["name"] == "student_id"


def test_who_may_not_manage_links(testapp, make_user, auth_headers, world):
    student, mum = world["student"], world["mum"]
    # Visible but not allowed: 403.
    for caller in (mum, student):
        testapp.post_json(
            parents_url(student),
            {"parent_id": world["dad"].id},
            headers=auth_headers(caller),
            status=403,
        )
        testapp.delete(parents_url(student, mum), headers=auth_headers(caller), status=403)
    testapp.get(parents_url(student), headers=auth_headers(mum), status=403)
    # Invisible: 404.
    other_tutor = make_user("tutor")
    testapp.get(parents_url(student), headers=auth_headers(other_tutor), status=404)
    testapp.delete(parents_url(student, mum), headers=auth_headers(other_tutor), status=404)
    # Anonymous: 401.
    testapp.get(parents_url(student), status=401)


@pytest.mark.parametrize("caller", ["tutor", "admin", "student"])
def test_links_list_runs_a_constant_number_of_queries(
    testapp, make_user, auth_headers, world, count_queries, caller
):
    user = make_user("admin") if caller == "admin" else world[caller]
    headers = auth_headers(user)
    url = parents_url(world["student"])
    with count_queries() as few:  # the world links mum only
        small = testapp.get(url, headers=headers).json["items"]
    for _ in range(29):
        ParentLinkFactory(student=world["student"], parent=make_user("parent"))
    with count_queries() as many:
        large = testapp.get(url, headers=headers).json["items"]
    assert (len(small), len(large)) == (1, 30)
    assert few.count == many.count
