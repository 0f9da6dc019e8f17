"""Calendar feeds: a secret token (issued, rotated, revoked; stored hashed) and the iCalendar
feed of the token owner's visible lessons, parsed back with ``icalendar``."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

import icalendar
import pytest
from lessons_support import NOW, lesson, make_world
from series_support import SERIES, series_body
from sqlalchemy import select

from thebot.audit import AuditEvent
from thebot.scheduling.lessons import changes as lesson_changes
from thebot.scheduling.lessons import states as lesson_states
from thebot.scheduling.models import CalendarToken

pytestmark = pytest.mark.usefixtures("frozen")

UTC = dt.timezone.utc
TOKEN_URL = "/api/scheduling/calendar-token/"
TOMORROW = NOW + dt.timedelta(days=1)


@pytest.fixture
def world(make_user):
    return make_world(make_user)


@pytest.fixture
def feed_of(testapp, as_):
    """``feed_of(user)`` -> (feed path, token): a fresh token's feed, read without auth."""

    def issue(user):
        data = testapp.post_json(TOKEN_URL, {}, headers=as_(user), status=201).json
        return data["url"].split("testserver", 1)[1], data["token"]

    return issue


def events(testapp, path, status=200):
    res = testapp.get(path, status=status)
    cal = icalendar.Calendar.from_ical(res.body)
    return cal, {str(e["UID"]): e for e in cal.walk("VEVENT")}


def uid(lesson_):
    return f"lesson-{lesson_.id}@thebot"


# --- tokens ------------------------------------------------------------------------------


def test_a_token_is_issued_once_and_stored_hashed(testapp, world, as_, dbsession):
    res = testapp.post_json(TOKEN_URL, {}, headers=as_(world.student), status=201)
    data = res.json
    assert res.headers["Cache-Control"] == "no-store"
    assert len(data["token"]) >= 43  # 32 random bytes, URL-safe base64
    assert data["url"] == f"http://testserver/api/scheduling/calendar/{data['token']}.ics"
    [row] = dbsession.scalars(select(CalendarToken)).all()
    assert row.user_id == world.student.id and row.revoked_at is None
    assert row.token_hash == hashlib.sha256(data["token"].encode()).hexdigest()
    actions = dbsession.scalars(select(AuditEvent.action)).all()
    assert "calendar_token.issued" in actions
    assert all(data["token"] not in str(e.details) for e in dbsession.scalars(select(AuditEvent)))


def test_rotating_revokes_the_old_token(testapp, world, feed_of):
    old_path, _ = feed_of(world.student)
    testapp.get(old_path, status=200)
    new_path, _ = feed_of(world.student)
    res = testapp.get(old_path, status=404)
    assert res.content_type == "application/problem+json"
    testapp.get(new_path, status=200)


def test_revoking_makes_the_feed_404(testapp, world, as_, feed_of, dbsession):
    path, _ = feed_of(world.teacher)
    testapp.delete(TOKEN_URL, headers=as_(world.teacher), status=204)
    testapp.get(path, status=404)
    revoked = dbsession.scalars(select(CalendarToken.revoked_at)).all()
    assert revoked and all(value is not None for value in revoked)


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500, "%C3%A9t%C3%A9"])
def test_unknown_tokens_are_404_problems(testapp, world, token):
    res = testapp.get(f"/api/scheduling/calendar/{token}.ics", status=404)
    assert res.json["type"].endswith("/not-found")


def test_a_deactivated_owner_has_no_feed(testapp, world, feed_of, dbsession):
    path, _ = feed_of(world.parent)
    world.parent.is_active = False
    dbsession.flush()
    testapp.get(path, status=404)


def test_issuing_needs_a_signed_in_user(testapp, world):
    testapp.post_json(TOKEN_URL, {}, status=401)
    testapp.delete(TOKEN_URL, status=401)


def test_the_token_body_is_strict(testapp, world, as_):
    testapp.post_json(TOKEN_URL, {"name": "x"}, headers=as_(world.student), status=400)


# --- the feed ----------------------------------------------------------------------------


def test_the_feed_is_valid_icalendar_with_stable_uids(testapp, world, feed_of):
    lessons_ = [
        lesson(world, TOMORROW, timezone="Europe/Moscow", description="Fractions"),
        lesson(world, TOMORROW + dt.timedelta(days=1), meeting_link="https://meet.google.com/z"),
    ]
    path, _ = feed_of(world.student)
    res = testapp.get(path)
    assert res.content_type == "text/calendar" and res.charset == "utf-8"
    assert res.headers["ETag"] and "private" in res.headers["Cache-Control"]
    cal, found = events(testapp, path)
    assert str(cal["VERSION"]) == "2.0" and "THE_BOT" in str(cal["PRODID"])
    assert str(cal["X-WR-CALNAME"]) == f"THE_BOT lessons: {world.student.full_name}"
    assert set(found) == {uid(x) for x in lessons_}
    first = found[uid(lessons_[0])]
    assert first["DTSTART"].dt == TOMORROW
    assert first["DTSTART"].dt.tzinfo == zoneinfo.ZoneInfo("Europe/Moscow")
    assert first["DTSTART"].params["TZID"] == "Europe/Moscow"
    assert first["DTEND"].dt == TOMORROW + dt.timedelta(hours=1)
    assert str(first["SUMMARY"]) == f"{world.subject.name} with Erin Teacher"
    assert str(first["DESCRIPTION"]) == "Fractions"
    assert str(first["STATUS"]) == "TENTATIVE" and int(first["SEQUENCE"]) == 0
    assert "RECURRENCE-ID" not in first
    [vtimezone] = cal.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Moscow"
    second = found[uid(lessons_[1])]
    # A lesson in UTC is written with a Z, no TZID.
    assert "TZID" not in second["DTSTART"].params
    assert second["DTSTART"].dt.utcoffset() == dt.timedelta(0)
    assert b"DTSTART:20261203T090000Z" in res.body
    assert str(second["LOCATION"]) == "https://meet.google.com/z"
    # The same data gives the same feed: UIDs and bytes are stable.
    again = testapp.get(path)
    assert again.body == res.body and again.headers["ETag"] == res.headers["ETag"]


def test_sequence_bumps_after_a_reschedule_and_the_uid_stays(
    testapp, world, feed_of, dbsession, app
):
    booked = lesson(world, TOMORROW)
    path, _ = feed_of(world.student)
    before = testapp.get(path)
    lesson_changes.reschedule(
        dbsession,
        app.registry.settings,
        world.teacher,
        booked,
        start=TOMORROW + dt.timedelta(hours=2),
        end=TOMORROW + dt.timedelta(hours=3),
        timezone=None,
        now=NOW,
    )
    dbsession.flush()
    _, found = events(testapp, path)
    event = found[uid(booked)]
    assert int(event["SEQUENCE"]) == 1
    assert event["DTSTART"].dt == TOMORROW + dt.timedelta(hours=2)
    headers = {"If-None-Match": before.headers["ETag"]}
    assert testapp.get(path, headers=headers).status_int == 200  # it changed: a new ETag


def test_cancelled_lessons_are_status_cancelled(testapp, world, feed_of, dbsession, app):
    booked = lesson(world, TOMORROW, status="confirmed")
    lesson_states.cancel(
        dbsession, app.registry.settings, world.teacher, booked, NOW, reason="Ill"
    )
    dbsession.flush()
    path, _ = feed_of(world.parent)
    _, found = events(testapp, path)
    event = found[uid(booked)]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert "Cancelled: Ill" in str(event["DESCRIPTION"])


def test_series_occurrences_are_standalone_events(testapp, world, as_, feed_of):
    created = testapp.post_json(SERIES, series_body(world), headers=as_(world.teacher)).json
    path, _ = feed_of(world.teacher)
    _, found = events(testapp, path)
    for item in created["lessons"]:
        event = found[f"lesson-{item['id']}@thebot"]
        assert "RECURRENCE-ID" not in event and "RRULE" not in event
        assert str(event["SUMMARY"]) == f"{world.subject.name} with Sam Student"


def test_conditional_get_answers_304(testapp, world, feed_of):
    lesson(world, TOMORROW)
    path, _ = feed_of(world.student)
    etag = testapp.get(path).headers["ETag"]
    res = testapp.get(path, headers={"If-None-Match": etag}, status=304)
    assert res.headers["ETag"] == etag and not res.body


def test_private_notes_never_reach_the_feed(testapp, world, feed_of):
    lesson(world, TOMORROW, notes="struggles with fractions")
    path, _ = feed_of(world.teacher)
    assert b"struggles" not in testapp.get(path).body


def test_old_lessons_leave_the_feed(testapp, world, feed_of, app, monkeypatch):
    old = lesson(world, NOW - dt.timedelta(days=40), status="completed")
    path, _ = feed_of(world.student)
    assert uid(old) in events(testapp, path)[1]
    monkeypatch.setitem(app.registry.settings, "calendar_feed_past_days", 30)
    assert uid(old) not in events(testapp, path)[1]


# --- visibility --------------------------------------------------------------------------


def test_the_feed_shows_only_what_its_owner_may_see(testapp, world, feed_of):
    mine = lesson(world, TOMORROW)
    theirs = lesson(
        world,
        TOMORROW + dt.timedelta(hours=2),
        teacher_id=world.other_teacher.id,
        student_id=world.other_student.id,
    )
    # The other teacher also teaches our student: the student sees it, our teacher does not.
    shared = lesson(
        world,
        TOMORROW + dt.timedelta(hours=4),
        teacher_id=world.other_teacher.id,
    )
    expected = {
        world.teacher: {mine},
        world.student: {mine, shared},
        world.parent: {mine, shared},
        world.tutor: {mine, shared},
        world.other_teacher: {theirs, shared},
        world.other_parent: {theirs},
        world.admin: {mine, theirs, shared},
    }
    for user, visible in expected.items():
        path, _ = feed_of(user)
        assert set(events(testapp, path)[1]) == {uid(x) for x in visible}, user.role
