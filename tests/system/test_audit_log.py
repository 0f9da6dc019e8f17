"""``GET /api/system/audit-log/``: admins only, filters, newest first, cursor pages."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from factories import AuditEventFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.audit import scrub
from thebot.schemas import parse_rfc3339

URL = "/api/system/audit-log/"
T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """User ids repeat between tests on SQLite: start each test with a fresh API budget."""
    reset_limits(app.registry)


@pytest.fixture
def admin_headers(make_user, auth_headers):
    return auth_headers(make_user("admin"))


def add_event(dbsession, action, *, minutes=0, actor=None, **details):
    return AuditEventFactory(
        action=action,
        actor_id=getattr(actor, "id", None),
        created_at=T0 + dt.timedelta(minutes=minutes),
        ip="192.0.2.1",
        details=details,
    )


def ids(response):
    return [item["id"] for item in response.json["items"]]


def test_admin_reads_events_newest_first(testapp, dbsession, make_user, admin_headers):
    alice = make_user("student", username="alice")
    first = add_event(dbsession, "login_succeeded", minutes=1, actor=alice)
    second = add_event(dbsession, "login_failed", minutes=2, login="alice")
    body = testapp.get(URL, headers=admin_headers).json
    assert [item["id"] for item in body["items"]][:2] == [second.id, first.id]
    assert body["next_cursor"] is None
    item = next(i for i in body["items"] if i["id"] == first.id)
    assert item == {
        "id": first.id,
        "created_at": "2026-11-30T12:01:00+00:00",
        "action": "login_succeeded",
        "actor": {"id": alice.id, "username": "alice"},
        "target_type": None,
        "target_id": None,
        "ip": "192.0.2.1",
        "user_agent": None,
        "request_id": None,
        "details": {},
    }
    assert body["items"][0]["actor"] is None


def test_audit_log_is_for_admins_only_not_the_metrics_token(
    testapp, make_user, auth_headers, monitor_headers, admin_headers
):
    testapp.get(URL, status=401)
    for role in ("student", "teacher", "tutor", "parent"):
        testapp.get(URL, headers=auth_headers(make_user(role)), status=403)
    res = testapp.get(URL, headers=monitor_headers, status=403)
    assert res.content_type == "application/problem+json"
    testapp.get(URL, headers=admin_headers, status=200)


def test_filters_by_actor_action_and_period(testapp, dbsession, make_user, admin_headers):
    alice, bob = make_user("student"), make_user("student")
    a1 = add_event(dbsession, "login_succeeded", minutes=0, actor=alice)
    a2 = add_event(dbsession, "logout", minutes=10, actor=alice)
    b1 = add_event(dbsession, "login_succeeded", minutes=20, actor=bob)
    a3 = add_event(dbsession, "login_succeeded", minutes=30, actor=alice)

    def query(**params):
        return ids(testapp.get(URL, params=params, headers=admin_headers))

    assert query(actor=alice.id) == [a3.id, a2.id, a1.id]
    assert query(action="login_succeeded", actor=bob.id) == [b1.id]
    # since is inclusive, until exclusive; offsets are honoured (12:10Z is 15:10+03:00).
    since, until = "2026-11-30T15:10:00+03:00", "2026-11-30T12:30:00Z"
    assert query(since=since, until=until) == [b1.id, a2.id]
    assert query(since="2026-11-30T12:30:00Z", action="login_succeeded") == [a3.id]


def test_an_unescaped_plus_in_the_offset_is_understood(testapp, dbsession, admin_headers):
    event = add_event(dbsession, "logout", minutes=5)
    # "+" in a query string decodes to a space; clients often forget to escape it.
    response = testapp.get(
        URL + "?since=2026-11-30T15:05:00+03:00&action=logout", headers=admin_headers
    )
    assert ids(response) == [event.id]
    escaped = testapp.get(
        URL + "?action=logout&since=" + quote("2026-11-30T15:05:01+03:00"), headers=admin_headers
    )
    assert ids(escaped) == []


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"since": "2026-11-30T12:00:00"}, "since"),  # no offset
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-02-30T12:00:00Z"}, "until"),
        ({"since": "2026-11-30T12:00:00Z", "until": "2026-11-30T11:00:00Z"}, "until"),
        ({"actor": "abc"}, "actor"),
        ({"actor": "0"}, "actor"),
        ({"limit": "500"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_filters_are_400_problems(testapp, admin_headers, params, name):
    response = testapp.get(URL, params=params, headers=admin_headers, status=400)
    assert response.content_type == "application/problem+json"
    assert response.json["type"].endswith("validation-error")
    assert [e["name"] for e in response.json["errors"]] == [name]


def test_unknown_query_parameter_is_400(testapp, admin_headers):
    response = testapp.get(URL, params={"user": "1"}, headers=admin_headers, status=400)
    assert response.json["errors"][0]["location"] == "querystring"


def test_cursor_pages_cover_every_event_once(testapp, dbsession, admin_headers):
    # Some share a timestamp: nothing may be skipped or repeated between pages.
    events = [add_event(dbsession, "logout", minutes=m).id for m in (0, 1, 1, 2, 3, 3, 4)]
    expected = sorted(events, reverse=True)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"action": "logout", "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = testapp.get(URL, params=params, headers=admin_headers)
        seen += ids(response)
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor is None:
            assert "Link" not in response.headers
            break
        assert (
            response.headers["Link"].endswith('rel="next"')
            and "cursor=" in response.headers["Link"]
        )
    assert pages == 3
    assert seen == expected


def test_query_count_does_not_grow_with_the_page(
    testapp, dbsession, make_user, admin_headers, count_queries
):
    def counted(limit):
        with count_queries() as counter:
            items = testapp.get(URL, params={"limit": limit}, headers=admin_headers).json["items"]
        assert len(items) == limit
        assert len({item["actor"]["id"] for item in items}) == limit  # one actor per row
        return counter.count

    for minute in range(30):
        add_event(dbsession, "login_succeeded", minutes=minute, actor=make_user("student"))
    assert counted(1) == counted(30)


def test_audit_details_are_scrubbed_and_made_json():
    when = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc)
    details = {
        "login": "olga",
        "password": "hunter2",
        "nested": {"api_key": "x", "fields": ["role", "email"]},
        "changes": [{"field": "email", "token": "t"}],
        "at": when,
        "roles": {"admin"},
        "number": 3,
    }
    assert scrub(details) == {
        "login": "olga",
        "nested": {"fields": ["role", "email"]},
        "changes": [{"field": "email"}],
        "at": "2026-12-01T15:00:00+00:00",
        "roles": ["admin"],
        "number": 3,
    }


def test_rfc3339_parser():
    assert parse_rfc3339("2026-12-01T15:00:00.5-02:30") == dt.datetime(
        2026, 12, 1, 17, 30, 0, 500000, tzinfo=dt.timezone.utc
    )
    assert parse_rfc3339("2026-12-01t15:00:00z").tzinfo == dt.timezone.utc
    for bad in (
        "2026-12-01",
        "2026-12-01T15:00",
        "2026-12-01T15:00:00+24:00",
        "2026-13-01T00:00:00Z",
    ):
        with pytest.raises(ValueError):
            parse_rfc3339(bad)
