"""A weekly series keeps its local wall-clock time across daylight-saving changes: the UTC
offset (and so the UTC instant) changes instead. EU clocks change on the last Sundays of
March and October, US clocks on the second Sunday of March and the first of November."""

from __future__ import annotations

import datetime as dt

import pytest
from lessons_support import make_world
from series_support import SERIES, lessons_of, local, series_body, series_url, wall_clock

from thebot.scheduling.rrule import expand, parse_rule, to_utc

pytestmark = pytest.mark.usefixtures("frozen")

UTC = dt.timezone.utc
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


@pytest.fixture
def world(make_user):
    return make_world(make_user)


@pytest.fixture
def teacher_headers(auth_headers, world):
    return auth_headers(world.teacher)


def create(testapp, headers, world, start, rrule, timezone):
    data = series_body(world, local(start, timezone), rrule, timezone=timezone)
    return testapp.post_json(SERIES, data, headers=headers).json


def utc_hours(lessons):
    return [(x.start_at.astimezone(UTC).day, x.start_at.astimezone(UTC).hour) for x in lessons]


@pytest.mark.parametrize(
    ("timezone", "start", "expected_utc", "offsets"),
    [
        # EU spring: Monday 15:00 Berlin, clocks go forward on Sunday 28 March 2027.
        (
            BERLIN,
            dt.datetime(2027, 3, 15, 15, 0),
            [(15, 14), (22, 14), (29, 13), (5, 13)],
            ["+01:00", "+01:00", "+02:00", "+02:00"],
        ),
        # US spring: Wednesday 15:00 New York, clocks go forward on Sunday 14 March 2027.
        (
            NEW_YORK,
            dt.datetime(2027, 3, 3, 15, 0),
            [(3, 20), (10, 20), (17, 19), (24, 19)],
            ["-05:00", "-05:00", "-04:00", "-04:00"],
        ),
        # EU autumn: Tuesday 15:00 Berlin, clocks go back on Sunday 31 October 2027.
        (
            BERLIN,
            dt.datetime(2027, 10, 19, 15, 0),
            [(19, 13), (26, 13), (2, 14), (9, 14)],
            ["+02:00", "+02:00", "+01:00", "+01:00"],
        ),
        # US autumn: Thursday 18:00 New York, clocks go back on Sunday 7 November 2027.
        (
            NEW_YORK,
            dt.datetime(2027, 10, 28, 18, 0),
            [(28, 22), (4, 22), (11, 23), (18, 23)],
            ["-04:00", "-04:00", "-05:00", "-05:00"],
        ),
    ],
)
def test_weekly_series_keeps_local_time_across_dst(
    testapp, world, teacher_headers, dbsession, timezone, start, expected_utc, offsets
):
    data = create(testapp, teacher_headers, world, start, "FREQ=WEEKLY;COUNT=4", timezone)
    lessons = lessons_of(dbsession, data["id"])
    assert {wall_clock(x).time() for x in lessons} == {start.time()}
    assert utc_hours(lessons) == expected_utc
    # The wire shows each lesson in its zone, with the offset of that date.
    assert [x["start"][-6:] for x in data["lessons"]] == offsets
    assert {x["start"][11:16] for x in data["lessons"]} == {start.strftime("%H:%M")}
    durations = {x.end_at - x.start_at for x in lessons}
    assert durations == {dt.timedelta(hours=1)}


def test_a_series_in_a_zone_without_dst_keeps_its_utc_time(testapp, world, teacher_headers):
    data = create(
        testapp,
        teacher_headers,
        world,
        dt.datetime(2027, 3, 15, 15, 0),
        "FREQ=WEEKLY;COUNT=4",
        "Europe/Moscow",
    )
    assert {x["start"][-6:] for x in data["lessons"]} == {"+03:00"}


def test_moving_all_lessons_to_another_time_keeps_it_across_dst(
    testapp, world, teacher_headers, dbsession
):
    start = dt.datetime(2027, 3, 15, 15, 0)
    series_id = create(testapp, teacher_headers, world, start, "FREQ=WEEKLY;COUNT=4", BERLIN)["id"]
    testapp.patch_json(
        series_url(series_id), {"scope": "all", "start_time": "16:30"}, headers=teacher_headers
    )
    lessons = lessons_of(dbsession, series_id)
    assert {wall_clock(x).time() for x in lessons} == {dt.time(16, 30)}
    assert [x.start_at.astimezone(UTC).hour for x in lessons] == [15, 15, 14, 14]


def test_until_in_utc_is_compared_as_an_instant_across_dst():
    # Monday 15:00 Berlin; on 29 March (summer time) that is 13:00 UTC: included exactly.
    rule = parse_rule("FREQ=WEEKLY;UNTIL=20270329T130000Z", BERLIN)
    found = expand(rule, dt.datetime(2027, 3, 15, 15, 0), BERLIN)
    assert [t.day for t in found] == [15, 22, 29]
    earlier = parse_rule("FREQ=WEEKLY;UNTIL=20270329T125959Z", BERLIN)
    assert [t.day for t in expand(earlier, dt.datetime(2027, 3, 15, 15, 0), BERLIN)] == [15, 22]


def test_a_time_in_the_spring_gap_uses_the_offset_before_it():
    # 02:30 does not exist in Berlin on 28 March 2027 (02:00 -> 03:00): RFC 5545 reads it
    # with the offset before the gap (+01:00), i.e. 01:30 UTC, shown as 03:30 summer time.
    rule = parse_rule("FREQ=WEEKLY;COUNT=2", BERLIN)
    found = expand(rule, dt.datetime(2027, 3, 21, 2, 30), BERLIN)
    instants = [to_utc(t, BERLIN) for t in found]
    assert instants == [
        dt.datetime(2027, 3, 21, 1, 30, tzinfo=UTC),
        dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    ]


def test_an_ambiguous_autumn_time_is_its_first_occurrence():
    # 02:30 happens twice in Berlin on 31 October 2027: the first one (+02:00) is meant.
    assert to_utc(dt.datetime(2027, 10, 31, 2, 30), BERLIN) == dt.datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )
