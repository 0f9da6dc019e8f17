"""The caller's notifications over HTTP: list, unread filter, pages, mark read, read all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from factories import NotificationFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.notifications.models import Notification

URL = "/api/notifications/"
T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """User ids repeat between tests on SQLite: start each test with a fresh API budget."""
    reset_limits(app.registry)


def add(dbsession, user, title="Hello", *, minutes=0, read=False, kind="lessons.moved"):
    return NotificationFactory(
        user_id=user.id,
        kind=kind,
        title=title,
        body=f"{title} body",
        data={"n": minutes},
        created_at=T0 + dt.timedelta(minutes=minutes),
        read_at=T0 + dt.timedelta(hours=1) if read else None,
    )


def titles(response):
    return [item["title"] for item in response.json["items"]]


@pytest.fixture
def alice(make_user):
    return make_user("student")


@pytest.fixture
def alice_headers(alice, auth_headers):
    return auth_headers(alice)


def test_list_shows_only_the_callers_notifications_newest_first(
    testapp, dbsession, alice, alice_headers, make_user
):
    bob = make_user("student")
    add(dbsession, alice, "first", minutes=1)
    add(dbsession, bob, "bob's", minutes=2)
    second = add(dbsession, alice, "second", minutes=3, read=True)
    body = testapp.get(URL, headers=alice_headers).json
    assert [i["title"] for i in body["items"]] == ["second", "first"]
    assert body["next_cursor"] is None and body["unread_count"] == 1
    assert body["items"][0] == {
        "id": second.id,
        "kind": "lessons.moved",
        "category": "lessons",
        "title": "second",
        "body": "second body",
        "data": {"n": 3},
        "created_at": "2026-11-30T12:03:00+00:00",
        "read_at": "2026-11-30T13:00:00+00:00",
        "is_read": True,
    }


def test_unread_filter(testapp, dbsession, alice, alice_headers):
    add(dbsession, alice, "read", read=True)
    add(dbsession, alice, "unread", minutes=1)
    assert titles(testapp.get(URL, params={"unread": "true"}, headers=alice_headers)) == ["unread"]
    everything = testapp.get(URL, params={"unread": "false"}, headers=alice_headers)
    assert titles(everything) == ["unread", "read"]
    response = testapp.get(URL, params={"unread": "maybe"}, headers=alice_headers, status=400)
    assert response.json["errors"][0]["name"] == "unread"


def test_pages_follow_the_cursor(testapp, dbsession, alice, alice_headers):
    for minute in range(5):
        add(dbsession, alice, f"n{minute}", minutes=minute)
    first = testapp.get(URL, params={"limit": 2, "unread": "true"}, headers=alice_headers)
    assert titles(first) == ["n4", "n3"] and 'rel="next"' in first.headers["Link"]
    cursor = first.json["next_cursor"]
    second = testapp.get(
        URL, params={"limit": 2, "unread": "true", "cursor": cursor}, headers=alice_headers
    )
    third = testapp.get(
        URL,
        params={"limit": 2, "unread": "true", "cursor": second.json["next_cursor"]},
        headers=alice_headers,
    )
    assert titles(second) == ["n2", "n1"] and titles(third) == ["n0"]
    assert third.json["next_cursor"] is None


def test_list_query_count_is_constant(testapp, dbsession, alice, alice_headers, count_queries):
    for minute in range(30):
        add(dbsession, alice, minutes=minute)

    def counted(limit):
        with count_queries() as counter:
            items = testapp.get(URL, params={"limit": limit}, headers=alice_headers).json["items"]
        assert len(items) == limit
        return counter.count

    assert counted(1) == counted(30)


def test_anonymous_is_401_and_the_monitoring_token_403(testapp, monitor_headers):
    assert testapp.get(URL, status=401).headers["WWW-Authenticate"] == "Token"
    testapp.get(URL, headers=monitor_headers, status=403)
    testapp.post("/api/notifications/read-all/", headers=monitor_headers, status=403)


def test_mark_one_read(testapp, dbsession, alice, alice_headers):
    notification = add(dbsession, alice)
    body = testapp.post(f"{URL}{notification.id}/read/", headers=alice_headers).json
    assert body["id"] == notification.id and body["is_read"] is True
    first_read_at = body["read_at"]
    again = testapp.post(f"{URL}{notification.id}/read/", headers=alice_headers).json
    assert again["read_at"] == first_read_at  # idempotent: the first reading counts


def test_another_users_notification_is_404(testapp, dbsession, alice_headers, make_user):
    bob = make_user("student")
    theirs = add(dbsession, bob)
    response = testapp.post(f"{URL}{theirs.id}/read/", headers=alice_headers, status=404)
    assert response.json["type"].endswith("not-found")
    dbsession.refresh(theirs)
    assert theirs.read_at is None


@pytest.mark.parametrize("bad_id", ["999999", "abc", "99999999999999999999", "-1"])
def test_unknown_ids_are_404(testapp, alice_headers, bad_id):
    testapp.post(f"{URL}{bad_id}/read/", headers=alice_headers, status=404)


def test_read_rejects_a_body_with_fields(testapp, dbsession, alice, alice_headers):
    notification = add(dbsession, alice)
    testapp.post_json(
        f"{URL}{notification.id}/read/", {"all": True}, headers=alice_headers, status=400
    )


def test_read_all_marks_only_the_callers_unread(
    testapp, dbsession, alice, alice_headers, make_user
):
    bob = make_user("student")
    mine = [add(dbsession, alice), add(dbsession, alice), add(dbsession, alice, read=True)]
    theirs = add(dbsession, bob)
    assert testapp.post("/api/notifications/read-all/", headers=alice_headers).json == {
        "updated": 2
    }
    assert testapp.get(URL, headers=alice_headers).json["unread_count"] == 0
    unread = (
        dbsession.execute(select(Notification.id).where(Notification.read_at.is_(None)))
        .scalars()
        .all()
    )
    assert theirs.id in unread and not {n.id for n in mine} & set(unread)
    assert testapp.post("/api/notifications/read-all/", headers=alice_headers).json == {
        "updated": 0
    }


def test_responses_carry_rate_limit_headers(testapp, alice_headers):
    response = testapp.get(URL, headers=alice_headers)
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert "X-RateLimit-Remaining" in response.headers and "X-RateLimit-Reset" in response.headers


def test_the_openapi_document_describes_the_notification_api(testapp):
    paths = testapp.get("/api/openapi.json").json["paths"]
    json = "application/json"
    listing = paths["/api/notifications/"]["get"]["responses"]["200"]["content"][json]
    assert listing["schema"]["properties"]["items"]
    assert "post" in paths["/api/notifications/{id}/read/"]
    assert "post" in paths["/api/notifications/read-all/"]
    patch = paths["/api/notifications/preferences/"]["patch"]
    answer = patch["responses"]["200"]["content"][json]["schema"]
    assert answer["properties"]["categories"]["type"] == "object"
    audit = paths["/api/system/audit-log/"]["get"]
    assert {p["name"] for p in audit["parameters"]} >= {"actor", "action", "since", "until"}
