"""Double-booking: the overlap matrix (half-open intervals: touching lessons do not conflict),
teacher and student conflicts, which statuses count, the 409 body, ``check-conflicts/`` and
rescheduling (a lesson never conflicts with itself)."""

from __future__ import annotations

import datetime as dt

import pytest
from lessons_support import CHECK, LESSONS, at, body, item, lesson, make_world, problem_names
from sqlalchemy import func, select

from thebot.scheduling.models import Lesson

pytestmark = pytest.mark.usefixtures("frozen")

BASE = at(hours=30)  # the existing lesson: 2026-12-02 15:00-16:00 UTC

# (offset of the new lesson's start from BASE in minutes, its length, conflicts?)
MATRIX = [
    (-60, 60, False),  # ends exactly when the existing one starts
    (60, 60, False),  # starts exactly when the existing one ends
    (-90, 60, False),  # well before
    (120, 30, False),  # well after
    (-30, 60, True),  # overlaps its start
    (30, 60, True),  # overlaps its end
    (15, 30, True),  # inside it
    (-60, 180, True),  # contains it
    (0, 60, True),  # the same slot
    (0, 30, True),  # same start, shorter
    (30, 30, True),  # same end, later start
    (-1, 30, True),  # starts a minute before: 29 minutes of overlap
    (59, 30, True),  # starts a minute before the end: 1 minute of overlap
]


@pytest.fixture
def world(make_user):
    return make_world(make_user)


@pytest.fixture
def teacher_headers(world, auth_headers):
    return auth_headers(world.teacher)


def slot(offset: int, minutes: int) -> tuple[dt.datetime, int]:
    return BASE + dt.timedelta(minutes=offset), minutes


def lesson_count(dbsession) -> int:
    return dbsession.scalar(select(func.count()).select_from(Lesson))


@pytest.mark.parametrize("who", ["teacher", "student"])
@pytest.mark.parametrize(("offset", "minutes", "conflicts"), MATRIX)
def test_overlap_matrix(
    testapp, world, teacher_headers, dbsession, who, offset, minutes, conflicts
):
    # The existing lesson shares only the teacher, or only the student, with the new one.
    if who == "teacher":
        existing = lesson(world, BASE, student_id=world.other_student.id)
    else:
        existing = lesson(world, BASE, teacher_id=world.other_teacher.id)
    start, length = slot(offset, minutes)
    data = body(world, start, length)
    checked = testapp.post_json(CHECK, data, headers=teacher_headers).json["conflicts"]
    assert [c["id"] for c in checked] == ([existing.id] if conflicts else [])
    res = testapp.post_json(
        LESSONS, data, headers=teacher_headers, status=409 if conflicts else 201
    )
    if conflicts:
        assert res.json["type"].endswith("/conflict")
        assert [c["id"] for c in res.json["conflicts"]] == [existing.id]
        assert lesson_count(dbsession) == 1


@pytest.mark.parametrize(
    ("status", "conflicts"),
    [("pending", True), ("confirmed", True), ("cancelled", False), ("completed", False)],
)
def test_only_pending_and_confirmed_lessons_conflict(
    testapp, world, teacher_headers, status, conflicts
):
    lesson(world, BASE, status=status)
    testapp.post_json(
        LESSONS, body(world, BASE), headers=teacher_headers, status=409 if conflicts else 201
    )


def test_unrelated_lessons_at_the_same_time_do_not_conflict(testapp, world, teacher_headers):
    lesson(world, BASE, teacher_id=world.other_teacher.id, student_id=world.other_student.id)
    testapp.post_json(LESSONS, body(world, BASE), headers=teacher_headers)


def test_the_409_lists_every_conflict_by_start_without_private_notes(
    testapp, world, teacher_headers
):
    late = lesson(world, BASE + dt.timedelta(minutes=60), student_id=world.other_student.id)
    early = lesson(world, BASE, teacher_id=world.other_teacher.id, notes="secret")
    res = testapp.post_json(
        LESSONS,
        body(world, BASE + dt.timedelta(minutes=30), 60),
        headers=teacher_headers,
        status=409,
    )
    assert res.json["detail"].startswith("The slot overlaps 2 other lessons")
    assert [c["id"] for c in res.json["conflicts"]] == [early.id, late.id]
    first = res.json["conflicts"][0]
    assert set(first) == {"id", "teacher_id", "student_id", "start", "end", "status"}
    assert first["teacher_id"] == world.other_teacher.id
    assert dt.datetime.fromisoformat(first["start"]) == BASE


def test_a_booking_after_a_booking_of_the_same_slot_conflicts(testapp, world, teacher_headers):
    testapp.post_json(LESSONS, body(world, BASE), headers=teacher_headers)
    res = testapp.post_json(LESSONS, body(world, BASE), headers=teacher_headers, status=409)
    assert len(res.json["conflicts"]) == 1


# --- check-conflicts ---------------------------------------------------------------------


def test_check_conflicts_books_nothing(testapp, world, teacher_headers, dbsession):
    res = testapp.post_json(CHECK, body(world, BASE), headers=teacher_headers)
    assert res.json == {"conflicts": []}
    assert lesson_count(dbsession) == 0


def test_check_conflicts_applies_the_booking_rules(testapp, world, teacher_headers):
    res = testapp.post_json(CHECK, body(world, at(minutes=5)), headers=teacher_headers, status=400)
    assert problem_names(res) == ["start"]
    res = testapp.post_json(CHECK, {"student_id": 1}, headers=teacher_headers, status=400)
    assert "start" in problem_names(res)


@pytest.mark.parametrize(
    ("who", "status"),
    [("student", 403), ("parent", 403), ("other_teacher", 403), ("tutor", 200), ("admin", 200)],
)
def test_who_may_check_conflicts(testapp, world, auth_headers, who, status):
    testapp.post_json(
        CHECK, body(world, BASE), headers=auth_headers(getattr(world, who)), status=status
    )


def test_check_conflicts_needs_authentication(testapp, world):
    testapp.post_json(CHECK, body(world, BASE), status=401)


# --- reschedule --------------------------------------------------------------------------


def reschedule(testapp, headers, row, start, minutes=60, status=200):
    data = {"start": start.isoformat(), "end": (start + dt.timedelta(minutes=minutes)).isoformat()}
    return testapp.post_json(item(row.id, "reschedule"), data, headers=headers, status=status)


def test_a_lesson_moved_over_its_own_slot_does_not_conflict_with_itself(
    testapp, world, teacher_headers
):
    row = lesson(world, BASE)
    reschedule(testapp, teacher_headers, row, BASE + dt.timedelta(minutes=30))


def test_a_lesson_moved_onto_another_conflicts(testapp, world, teacher_headers, dbsession):
    row = lesson(world, BASE)
    other = lesson(world, BASE + dt.timedelta(hours=3), teacher_id=world.other_teacher.id)
    res = reschedule(
        testapp, teacher_headers, row, BASE + dt.timedelta(hours=3, minutes=30), status=409
    )
    assert [c["id"] for c in res.json["conflicts"]] == [other.id]
    dbsession.refresh(row)
    assert row.start_at == BASE and row.sequence == 0


def test_a_lesson_moved_next_to_another_does_not_conflict(testapp, world, teacher_headers):
    row = lesson(world, BASE)
    lesson(world, BASE + dt.timedelta(hours=3), student_id=world.other_student.id)
    reschedule(testapp, teacher_headers, row, BASE + dt.timedelta(hours=2))


def test_a_cancelled_lesson_frees_its_slot(testapp, world, auth_headers, teacher_headers):
    row = lesson(world, BASE)
    testapp.post(item(row.id, "cancel"), headers=teacher_headers)
    testapp.post_json(LESSONS, body(world, BASE), headers=teacher_headers)
