"""Series and conflicts: occurrences that overlap other lessons of the teacher or the student
are reported and not created, or with ``?atomic=true`` the whole series is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from lessons_support import lesson, make_world
from series_support import FIRST_MONDAY, SERIES, lessons_of, local, series_body
from sqlalchemy import func, select

from thebot.scheduling.models import Lesson, LessonSeries

pytestmark = pytest.mark.usefixtures("frozen")

UTC = dt.timezone.utc
SECOND_MONDAY = local(FIRST_MONDAY + dt.timedelta(weeks=1))  # 2026-12-14 15:00 Moscow


@pytest.fixture
def world(make_user):
    return make_world(make_user)


@pytest.fixture
def headers(auth_headers, world):
    return auth_headers(world.teacher)


def count(dbsession, model):
    return dbsession.scalar(select(func.count()).select_from(model))


def test_a_conflicting_occurrence_is_reported_and_skipped(testapp, world, headers, dbsession):
    busy = lesson(world, SECOND_MONDAY.astimezone(UTC) + dt.timedelta(minutes=30))
    res = testapp.post_json(SERIES, series_body(world), headers=headers, status=201).json
    assert len(res["lessons"]) == 3
    [skipped] = res["skipped"]
    assert skipped["local_start"] == "2026-12-14T15:00:00"
    assert skipped["start"] == SECOND_MONDAY.astimezone(UTC).isoformat()
    assert [c["id"] for c in skipped["conflicts"]] == [busy.id]
    assert "notes" not in skipped["conflicts"][0]
    days = [x.start_at.day for x in lessons_of(dbsession, res["id"])]
    assert days == [7, 21, 28]


def test_atomic_refuses_the_whole_series_with_every_conflict(testapp, world, headers, dbsession):
    first = lesson(world, SECOND_MONDAY.astimezone(UTC))
    # The student is busy with another teacher on the fourth Monday.
    fourth = local(FIRST_MONDAY + dt.timedelta(weeks=3)).astimezone(UTC)
    second = lesson(world, fourth - dt.timedelta(minutes=30), teacher_id=world.other_teacher.id)
    before = count(dbsession, Lesson)
    res = testapp.post_json(
        SERIES + "?atomic=true", series_body(world), headers=headers, status=409
    )
    assert res.content_type == "application/problem+json"
    assert res.json["type"].endswith("/conflict")
    clashes = res.json["conflicts"]
    assert [c["local_start"] for c in clashes] == ["2026-12-14T15:00:00", "2026-12-28T15:00:00"]
    assert [[x["id"] for x in c["conflicts"]] for c in clashes] == [[first.id], [second.id]]
    assert count(dbsession, LessonSeries) == 0 and count(dbsession, Lesson) == before


def test_atomic_without_conflicts_creates_everything(testapp, world, headers, dbsession):
    res = testapp.post_json(SERIES + "?atomic=true", series_body(world), headers=headers)
    assert len(lessons_of(dbsession, res.json["id"])) == 4 and res.json["skipped"] == []


def test_when_every_occurrence_conflicts_nothing_is_created(testapp, world, headers, dbsession):
    lesson(world, local(FIRST_MONDAY).astimezone(UTC), minutes=60)
    body = series_body(world, rrule="FREQ=WEEKLY;COUNT=1")
    res = testapp.post_json(SERIES, body, headers=headers, status=409)
    assert len(res.json["conflicts"]) == 1
    assert count(dbsession, LessonSeries) == 0


def test_touching_and_cancelled_lessons_do_not_conflict(testapp, world, headers, dbsession):
    start = SECOND_MONDAY.astimezone(UTC)
    lesson(world, start - dt.timedelta(hours=1))  # ends exactly when the occurrence starts
    lesson(world, start + dt.timedelta(hours=1))  # starts exactly when it ends
    lesson(world, start, status="cancelled")
    lesson(world, start, teacher_id=world.other_teacher.id, student_id=world.other_student.id)
    res = testapp.post_json(SERIES + "?atomic=true", series_body(world), headers=headers)
    assert res.json["skipped"] == [] and len(res.json["lessons"]) == 4


def test_atomic_must_be_a_boolean(testapp, world, headers):
    res = testapp.post_json(
        SERIES + "?atomic=maybe", series_body(world), headers=headers, status=400
    )
    assert res.json["errors"][0]["name"] == "atomic"


def test_a_series_conflicts_with_another_series(testapp, world, headers, dbsession):
    testapp.post_json(SERIES, series_body(world), headers=headers)
    again = series_body(world, rrule="FREQ=WEEKLY;COUNT=6")
    res = testapp.post_json(SERIES, again, headers=headers, status=201).json
    assert len(res["skipped"]) == 4
    assert [x.start_at.day for x in lessons_of(dbsession, res["id"])] == [4, 11]
