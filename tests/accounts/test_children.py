"""A parent's children: list own children, remove a link (parent, or admin with ?parent=)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from factories import ParentLinkFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.models import ParentLink
from thebot.audit import AuditEvent

CHILDREN = "/api/accounts/children/"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def family(make_user):
    tutor = make_user("tutor")
    parent = make_user("parent")
    kids = [make_user("student", profile={"tutor_id": tutor.id, "goal": "g"}) for _ in range(3)]
    for kid in kids:
        ParentLinkFactory(student=kid, parent=parent)
    return parent, kids


def link_exists(dbsession, student_id, parent_id):
    return (
        dbsession.scalar(
            select(ParentLink.id).where(
                ParentLink.student_id == student_id, ParentLink.parent_id == parent_id
            )
        )
        is not None
    )


def test_parent_lists_own_children_with_profiles(testapp, make_user, auth_headers, family):
    parent, kids = family
    other_parent = make_user("parent")
    ParentLinkFactory(student=make_user("student"), parent=other_parent)
    page = testapp.get(CHILDREN, {"limit": 2}, headers=auth_headers(parent)).json
    rest = testapp.get(
        CHILDREN, {"cursor": page["next_cursor"]}, headers=auth_headers(parent)
    ).json
    items = page["items"] + rest["items"]
    assert [c["id"] for c in items] == [k.id for k in kids]
    assert items[0]["profile"]["goal"] == "g" and items[0]["profile"]["tutor"] is not None


def test_children_list_query_count_is_constant(
    testapp, make_user, auth_headers, queries_for_1_and_30
):
    parent = make_user("parent")
    headers = auth_headers(parent)

    def add(n):
        for _ in range(n):
            ParentLinkFactory(student=make_user("student"), parent=parent)

    queries_for_1_and_30(add, lambda: testapp.get(CHILDREN, headers=headers).json["items"])


def test_only_parents_list_children(testapp, make_user, auth_headers):
    for role in ("admin", "tutor", "teacher", "student"):
        testapp.get(CHILDREN, headers=auth_headers(make_user(role)), status=403)
    testapp.get(CHILDREN, status=401)


def test_parent_removes_own_link_and_it_is_audited(testapp, dbsession, auth_headers, family):
    parent, kids = family
    testapp.delete(f"{CHILDREN}{kids[0].id}/", headers=auth_headers(parent), status=204)
    assert not link_exists(dbsession, kids[0].id, parent.id)
    assert link_exists(dbsession, kids[1].id, parent.id)
    [event] = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "parent_link.removed")
    ).all()
    assert event.details == {"student_id": kids[0].id, "parent_id": parent.id}
    assert event.actor_id == parent.id
    # Gone now, and with it the parent's sight of that child.
    testapp.delete(f"{CHILDREN}{kids[0].id}/", headers=auth_headers(parent), status=404)
    testapp.get(f"/api/accounts/users/{kids[0].id}/", headers=auth_headers(parent), status=404)


def test_parent_cannot_remove_other_links(testapp, make_user, auth_headers, family):
    parent, kids = family
    stranger_child = make_user("student")
    ParentLinkFactory(student=stranger_child, parent=make_user("parent"))
    headers = auth_headers(parent)
    testapp.delete(f"{CHILDREN}{stranger_child.id}/", headers=headers, status=404)
    testapp.delete(f"{CHILDREN}999999/", headers=headers, status=404)
    testapp.delete(f"{CHILDREN}abc/", headers=headers, status=404)
    # Naming another parent does not reach their link.
    other_parent = make_user("parent")
    ParentLinkFactory(student=kids[0], parent=other_parent)
    testapp.delete(
        f"{CHILDREN}{kids[0].id}/?parent={other_parent.id}", headers=headers, status=404
    )
    testapp.delete(f"{CHILDREN}{kids[0].id}/?parent={parent.id}", headers=headers, status=204)


def test_admin_removes_a_link_naming_the_parent(
    testapp, dbsession, make_user, auth_headers, family
):
    parent, kids = family
    headers = auth_headers(make_user("admin"))
    res = testapp.delete(f"{CHILDREN}{kids[1].id}/", headers=headers, status=400)
    assert res.json["errors"][0]["name"] == "parent"
    testapp.delete(f"{CHILDREN}{kids[1].id}/?parent=x", headers=headers, status=400)
    testapp.delete(f"{CHILDREN}{kids[1].id}/?parent=999999", headers=headers, status=404)
    testapp.delete(f"{CHILDREN}{kids[1].id}/?parent={parent.id}", headers=headers, status=204)
    assert not link_exists(dbsession, kids[1].id, parent.id)


def test_other_roles_cannot_remove_children(testapp, make_user, auth_headers, family):
    parent, kids = family
    for role in ("tutor", "teacher", "student"):
        testapp.delete(
            f"{CHILDREN}{kids[0].id}/?parent={parent.id}",
            headers=auth_headers(make_user(role)),
            status=403,
        )
    testapp.delete(f"{CHILDREN}{kids[0].id}/", status=401)
