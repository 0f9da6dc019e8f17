"""``GET/PATCH /api/notifications/preferences/``: channel switches per category, quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest

from thebot.accounts.auth.ratelimit import reset_limits
from thebot.notifications.models import NotificationPreference
from thebot.notifications.service import categories

URL = "/api/notifications/preferences/"


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """User ids repeat between tests on SQLite: start each test with a fresh API budget."""
    reset_limits(app.registry)


@pytest.fixture
def user(make_user):
    return make_user("parent")


@pytest.fixture
def headers(user, auth_headers):
    return auth_headers(user)


def test_defaults_list_every_category(app, testapp, headers):
    body = testapp.get(URL, headers=headers).json
    assert set(body["categories"]) == set(categories(app.registry))
    # each feature adds its own in its includeme
    assert set(body["categories"]) >= {
        "account",
        "assignments",
        "lessons",
        "materials",
        "reports",
        "system",
    }
    assert body["categories"]["lessons"] == {"in_app": True, "email": True}
    assert body["categories"]["materials"] == {"in_app": True, "email": False}
    assert body["quiet_hours_start"] is None and body["quiet_hours_end"] is None
    assert body["timezone"] == "UTC"


def test_patch_changes_only_what_is_sent(testapp, dbsession, user, headers):
    first = testapp.patch_json(URL, {"categories": {"lessons": {"email": False}}}, headers=headers)
    assert first.json["categories"]["lessons"] == {"in_app": True, "email": False}
    second = testapp.patch_json(
        URL,
        {"categories": {"lessons": {"in_app": False}, "materials": {"email": True}}},
        headers=headers,
    )
    categories = second.json["categories"]
    assert categories["lessons"] == {"in_app": False, "email": False}
    assert categories["materials"] == {"in_app": True, "email": True}
    assert categories["reports"] == {"in_app": True, "email": True}
    assert testapp.get(URL, headers=headers).json == second.json
    stored = dbsession.get(NotificationPreference, user.id)
    dbsession.refresh(stored)
    assert stored.channels["lessons"] == {"in_app": False, "email": False}


def test_quiet_hours_and_timezone(testapp, dbsession, user, headers):
    body = testapp.patch_json(
        URL,
        {"quiet_hours_start": "22:30", "quiet_hours_end": "07:00", "timezone": "Europe/Moscow"},
        headers=headers,
    ).json
    assert (body["quiet_hours_start"], body["quiet_hours_end"], body["timezone"]) == (
        "22:30",
        "07:00",
        "Europe/Moscow",
    )
    stored = dbsession.get(NotificationPreference, user.id)
    dbsession.refresh(stored)
    assert (stored.quiet_hours_start, stored.quiet_hours_end) == (dt.time(22, 30), dt.time(7))
    # Changing the time zone alone keeps the hours; null clears them.
    assert (
        testapp.patch_json(URL, {"timezone": "Asia/Tokyo"}, headers=headers).json[
            "quiet_hours_start"
        ]
        == "22:30"
    )
    cleared = testapp.patch_json(
        URL, {"quiet_hours_start": None, "quiet_hours_end": None}, headers=headers
    ).json
    assert cleared["quiet_hours_start"] is None and cleared["timezone"] == "Asia/Tokyo"


def test_each_user_has_their_own_preferences(testapp, make_user, auth_headers, headers):
    testapp.patch_json(URL, {"categories": {"reports": {"email": False}}}, headers=headers)
    other = testapp.get(URL, headers=auth_headers(make_user("parent"))).json
    assert other["categories"]["reports"]["email"] is True


@pytest.mark.parametrize(
    ("body", "name", "words"),
    [
        ({"categories": {"gossip": {"email": True}}}, "categories", "unknown category 'gossip'"),
        ({"categories": {"lessons": {"sms": True}}}, "categories", "unknown channel 'sms'"),
        ({"categories": {"lessons": {"email": "false"}}}, "categories", "expected true or false"),
        ({"categories": {"lessons": True}}, "categories", "expected an object"),
        ({"categories": ["lessons"]}, "categories", "Expected an object"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"}, "quiet_hours_start", "HH:MM"),
        ({"quiet_hours_start": "7:00", "quiet_hours_end": "08:00"}, "quiet_hours_start", "HH:MM"),
        ({"quiet_hours_start": 700, "quiet_hours_end": "08:00"}, "quiet_hours_start", "HH:MM"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "IANA"),
        ({"timezone": None}, "timezone", "IANA"),
        ({"timezone": "../../etc/passwd"}, "timezone", "IANA"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end", "Required"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "quiet_hours_end", "differ"),
        ({"email": False}, "", "Unrecognized"),
    ],
)
def test_invalid_updates_are_400_problems(testapp, headers, body, name, words):
    response = testapp.patch_json(URL, body, headers=headers, status=400)
    assert response.content_type == "application/problem+json"
    [error] = response.json["errors"]
    assert error["location"] == "body" and error["name"] == name
    assert words in error["description"]


def test_invalid_update_changes_nothing(testapp, headers):
    testapp.patch_json(URL, {"categories": {"lessons": {"email": False}}}, headers=headers)
    testapp.patch_json(
        URL,
        {"categories": {"lessons": {"email": True}}, "timezone": "Nowhere"},
        headers=headers,
        status=400,
    )
    assert testapp.get(URL, headers=headers).json["categories"]["lessons"]["email"] is False


def test_malformed_json_is_400(testapp, headers):
    testapp.patch(
        URL, "{nope", headers={**headers, "Content-Type": "application/json"}, status=400
    )


def test_preferences_need_a_signed_in_user(testapp, monitor_headers):
    testapp.get(URL, status=401)
    testapp.patch_json(URL, {}, status=401)
    testapp.get(URL, headers=monitor_headers, status=403)


def test_a_category_added_twice_is_a_configuration_conflict():
    from pyramid.config import Configurator
    from pyramid.exceptions import ConfigurationConflictError

    from thebot.notifications.service import add_notification_category

    config = Configurator()
    config.add_directive("add_notification_category", add_notification_category)
    config.add_notification_category("lessons", "one", email=True)
    config.add_notification_category("lessons", "two", email=False)
    with pytest.raises(ConfigurationConflictError):
        config.commit()
