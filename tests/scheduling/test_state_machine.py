"""The lesson status machine: every legal and illegal transition, who may make each one, the
cancellation notice, completion only after the start, and rescheduling."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from lessons_support import NOW, at, item, lesson, make_world, problem_names
from sqlalchemy import select

from thebot.errors import DomainError
from thebot.scheduling.lessons import states as lesson_states
from thebot.scheduling.models import LessonHistory

pytestmark = pytest.mark.usefixtures("frozen")

ACTIONS = {"confirm": "confirmed", "cancel": "cancelled", "complete": "completed"}
LEGAL = {
    ("pending", "confirm"),
    ("pending", "cancel"),
    ("confirmed", "complete"),
    ("confirmed", "cancel"),
}
STATUSES = ("pending", "confirmed", "completed", "cancelled")


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def history(dbsession, row):
    stmt = select(LessonHistory).where(LessonHistory.lesson_id == row.id)
    return list(dbsession.scalars(stmt.order_by(LessonHistory.id)))


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_transition(testapp, world, as_, dbsession, status, action):
    # Started an hour ago, by an admin: only the status decides.
    row = lesson(world, at(minutes=-60), minutes=90, status=status)
    legal = (status, action) in LEGAL
    res = testapp.post_json(
        item(row.id, action), {}, headers=as_(world.admin), status=200 if legal else 409
    )
    if legal:
        assert res.json["status"] == ACTIONS[action]
        assert res.json["sequence"] == 1
        [entry] = history(dbsession, row)
        assert entry.action == ACTIONS[action] and entry.actor_id == world.admin.id
        assert entry.old_values["status"] == status
        assert entry.new_values["status"] == ACTIONS[action]
    else:
        assert res.json["type"].endswith("/conflict")
        assert res.json["current_status"] == status
        assert f"lesson that is {status}" in res.json["detail"]
        assert history(dbsession, row) == []
        dbsession.refresh(row)
        assert row.status == status


def test_a_lesson_goes_pending_confirmed_completed(testapp, world, as_, dbsession):
    row = lesson(world, at(hours=3))
    testapp.post_json(item(row.id, "confirm"), {}, headers=as_(world.student))
    with time_machine.travel(at(hours=3, minutes=1), tick=False):
        res = testapp.post(item(row.id, "complete"), headers=as_(world.teacher))
    assert res.json["status"] == "completed" and res.json["sequence"] == 2
    assert [e.action for e in history(dbsession, row)] == ["confirmed", "completed"]


# --- who ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("teacher", 200),
        ("tutor", 200),
        ("admin", 200),
        ("student", 200),
        ("parent", 200),
        ("other_teacher", 404),
        ("other_tutor", 404),
        ("other_parent", 404),
        ("other_student", 404),
    ],
)
def test_who_confirms(testapp, world, as_, who, status):
    row = lesson(world, at(hours=30))
    testapp.post_json(item(row.id, "confirm"), {}, headers=as_(getattr(world, who)), status=status)


@pytest.mark.parametrize(
    ("who", "status"),
    [("teacher", 200), ("admin", 200), ("tutor", 403), ("student", 403), ("parent", 403)],
)
def test_who_completes(testapp, world, as_, who, status):
    row = lesson(world, at(minutes=-30), status="confirmed")
    testapp.post(item(row.id, "complete"), headers=as_(getattr(world, who)), status=status)


@pytest.mark.parametrize(
    ("who", "status"),
    [("teacher", 200), ("tutor", 200), ("admin", 200), ("student", 403), ("parent", 403)],
)
def test_who_cancels(testapp, world, as_, who, status):
    row = lesson(world, at(hours=30), status="confirmed")
    testapp.post_json(
        item(row.id, "cancel"), {"reason": "ill"}, headers=as_(getattr(world, who)), status=status
    )


def test_anonymous_actions_are_401(testapp, world):
    row = lesson(world, at(hours=30))
    for action in ACTIONS:
        testapp.post(item(row.id, action), status=401)


def test_the_service_checks_who_too(world, dbsession):
    row = lesson(world, at(hours=30))
    with pytest.raises(DomainError) as exc:
        lesson_states.confirm(dbsession, world.other_parent, row)
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        lesson_states.cancel(dbsession, {}, world.student, row, NOW)
    assert exc.value.status == 403


# --- timing ------------------------------------------------------------------------------


def test_completing_before_the_start_is_409(testapp, world, as_):
    row = lesson(world, at(minutes=1), status="confirmed")
    res = testapp.post(item(row.id, "complete"), headers=as_(world.teacher), status=409)
    assert "started" in res.json["detail"] and res.json["current_status"] == "confirmed"


def test_completing_exactly_at_the_start_is_allowed(testapp, world, as_):
    row = lesson(world, NOW, status="confirmed")
    testapp.post(item(row.id, "complete"), headers=as_(world.teacher))


def test_cancel_with_exactly_the_notice_is_allowed(testapp, world, as_, dbsession):
    row = lesson(world, at(hours=2))
    res = testapp.post_json(
        item(row.id, "cancel"), {"reason": "Teacher ill"}, headers=as_(world.teacher)
    )
    assert res.json["status"] == "cancelled" and res.json["cancel_reason"] == "Teacher ill"
    [entry] = history(dbsession, row)
    assert entry.old_values == {"status": "pending", "cancel_reason": ""}
    assert entry.new_values == {"status": "cancelled", "cancel_reason": "Teacher ill"}


def test_cancel_one_second_inside_the_notice_is_refused(testapp, world, as_):
    row = lesson(world, at(hours=2, seconds=-1))
    for who in (world.teacher, world.tutor):
        res = testapp.post(item(row.id, "cancel"), headers=as_(who), status=403)
        assert "2 hours" in res.json["detail"]


def test_admins_cancel_without_notice_even_after_the_start(testapp, world, as_):
    row = lesson(world, at(minutes=-10), status="confirmed")
    testapp.post(item(row.id, "cancel"), headers=as_(world.admin))


def test_cancel_notice_comes_from_settings(app, testapp, world, as_, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "lesson_cancel_notice_hours", 24)
    row = lesson(world, at(hours=23))
    res = testapp.post(item(row.id, "cancel"), headers=as_(world.teacher), status=403)
    assert "24 hours" in res.json["detail"]


def test_cancel_reason_is_limited_and_bodies_are_strict(testapp, world, as_):
    row = lesson(world, at(hours=30))
    headers = as_(world.teacher)
    res = testapp.post_json(
        item(row.id, "cancel"), {"reason": "x" * 1001}, headers=headers, status=400
    )
    assert problem_names(res) == ["reason"]
    testapp.post_json(item(row.id, "confirm"), {"force": True}, headers=headers, status=400)


# --- reschedule --------------------------------------------------------------------------


def move(testapp, headers, row, start, minutes=60, status=200, **extra):
    data = {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(minutes=minutes)).isoformat(),
        **extra,
    }
    return testapp.post_json(item(row.id, "reschedule"), data, headers=headers, status=status)


@pytest.mark.parametrize("status", ["pending", "confirmed"])
def test_reschedule_moves_keeps_the_status_and_bumps_the_sequence(
    testapp, world, as_, dbsession, status
):
    row = lesson(world, at(hours=30), status=status, timezone="Europe/Moscow")
    res = move(testapp, as_(world.tutor), row, at(hours=50), minutes=90)
    assert res.json["status"] == status and res.json["sequence"] == 1
    assert res.json["start"] == "2026-12-03T14:00:00+03:00"
    assert res.json["duration_minutes"] == 90
    [entry] = history(dbsession, row)
    assert entry.action == "rescheduled" and entry.actor_id == world.tutor.id
    assert entry.old_values == {
        "start": at(hours=30).isoformat(),
        "end": at(hours=31).isoformat(),
        "timezone": "Europe/Moscow",
    }
    assert entry.new_values["start"] == at(hours=50).isoformat()


def test_reschedule_can_change_the_timezone(testapp, world, as_):
    row = lesson(world, at(hours=30))
    res = move(testapp, as_(world.teacher), row, at(hours=30), timezone="Asia/Tokyo")
    assert res.json["timezone"] == "Asia/Tokyo" and res.json["start"].endswith("+09:00")


def test_reschedule_to_the_same_slot_changes_nothing(testapp, world, as_, dbsession):
    row = lesson(world, at(hours=30))
    assert move(testapp, as_(world.teacher), row, at(hours=30)).json["sequence"] == 0
    assert history(dbsession, row) == []


def test_reschedule_applies_the_booking_rules(testapp, world, as_):
    row = lesson(world, at(hours=30))
    headers = as_(world.teacher)
    assert problem_names(move(testapp, headers, row, at(minutes=10), status=400)) == ["start"]
    assert problem_names(move(testapp, headers, row, at(hours=40), 241, status=400)) == ["end"]
    res = move(testapp, headers, row, at(hours=40), timezone="Nowhere/City", status=400)
    assert problem_names(res) == ["timezone"]


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_a_final_lesson_cannot_be_rescheduled(testapp, world, as_, status):
    row = lesson(world, at(hours=30), status=status)
    res = move(testapp, as_(world.admin), row, at(hours=40), status=409)
    assert res.json["current_status"] == status


def test_a_started_lesson_cannot_be_rescheduled(testapp, world, as_):
    row = lesson(world, at(minutes=-5), status="confirmed")
    res = move(testapp, as_(world.admin), row, at(hours=40), status=409)
    assert "started" in res.json["detail"]


@pytest.mark.parametrize(("who", "status"), [("student", 403), ("parent", 403)])
def test_families_cannot_reschedule(testapp, world, as_, who, status):
    row = lesson(world, at(hours=30))
    move(testapp, as_(getattr(world, who)), row, at(hours=40), status=status)


def test_a_lesson_booked_with_an_override_keeps_it_when_moved(testapp, world, as_):
    # No enrollment between the other student and the teacher; an admin booked it anyway.
    row = lesson(world, at(hours=30), student_id=world.other_student.id, enrollment_override=True)
    move(testapp, as_(world.teacher), row, at(hours=40))


def test_a_lesson_without_override_needs_the_enrollment_when_moved(testapp, world, as_):
    row = lesson(world, at(hours=30), student_id=world.other_student.id)
    res = move(testapp, as_(world.admin), row, at(hours=40), status=400)
    assert problem_names(res) == ["subject_id"]
