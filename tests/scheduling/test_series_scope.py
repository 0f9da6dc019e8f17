"""Editing and cancelling a series with a scope: ``this`` occurrence, ``following`` (the
series is split) or ``all`` future occurrences; a cancelled occurrence leaves an EXDATE."""

from __future__ import annotations

import datetime as dt

import pytest
from lessons_support import NOW, lesson, make_world, problem_names
from series_support import FIRST_MONDAY, SERIES, lessons_of, local, series_body, series_url
from series_support import wall_clock as clock
from sqlalchemy import select

from thebot.scheduling.exdates import record_exception
from thebot.scheduling.lessons import states as lesson_states
from thebot.scheduling.models import LessonHistory, LessonSeries
from thebot.scheduling.series.occurrences import occurrences_of

pytestmark = pytest.mark.usefixtures("frozen")

UTC = dt.timezone.utc


@pytest.fixture
def world(make_user):
    return make_world(make_user)


@pytest.fixture
def made(testapp, world, as_, dbsession):
    """A weekly series of six Mondays at 15:00 Moscow (7 Dec 2026 to 11 Jan 2027)."""
    body = series_body(world, rrule="FREQ=WEEKLY;COUNT=6", description="Algebra")
    series_id = testapp.post_json(SERIES, body, headers=as_(world.teacher)).json["id"]
    return dbsession.get(LessonSeries, series_id), lessons_of(dbsession, series_id)


def patch(testapp, headers, series_id, body, status=200):
    return testapp.patch_json(series_url(series_id), body, headers=headers, status=status)


def delete(testapp, headers, series_id, status=200, **query):
    return testapp.delete(series_url(series_id, **query), headers=headers, status=status)


def monday(week, hour=15, minute=0):
    """The ``week``-th Monday of the series (0-based) at ``hour`` Moscow, in UTC."""
    day = FIRST_MONDAY + dt.timedelta(weeks=week)
    return local(day.replace(hour=hour, minute=minute)).astimezone(UTC)


# --- this --------------------------------------------------------------------------------


def test_this_moves_one_occurrence_and_keeps_it_in_the_series(
    testapp, world, as_, made, dbsession
):
    series, lessons = made
    target = lessons[2]
    new_start = monday(2, 17).isoformat()
    body = {"scope": "this", "lesson_id": target.id, "start": new_start, "duration_minutes": 90}
    res = patch(testapp, as_(world.teacher), series.id, body).json
    assert res["id"] == series.id and res["changed_lessons"] == [target.id]
    dbsession.refresh(target)
    assert target.start_at == monday(2, 17) and target.end_at == monday(2, 18, 30)
    assert target.series_id == series.id and target.occurrence_start == monday(2)
    assert target.sequence == 1
    others = [x for x in lessons_of(dbsession, series.id) if x.id != target.id]
    assert {clock(x).time() for x in others} == {dt.time(15)}
    assert {x.sequence for x in others} == {0}
    actions = dbsession.scalars(
        select(LessonHistory.action).where(LessonHistory.lesson_id == target.id)
    ).all()
    assert actions == ["created", "rescheduled"]


def test_this_edits_the_description_of_one_occurrence(testapp, world, as_, made, dbsession):
    series, lessons = made
    body = {"scope": "this", "lesson_id": lessons[0].id, "description": "Geometry"}
    patch(testapp, as_(world.teacher), series.id, body)
    assert [x.description for x in lessons_of(dbsession, series.id)] == ["Geometry"] + [
        "Algebra"
    ] * 5


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"scope": "this", "rrule": "FREQ=WEEKLY;COUNT=2"}, "rrule"),
        ({"scope": "this", "start_time": "16:00"}, "start_time"),
        ({"scope": "this", "description": "x"}, "lesson_id"),  # which occurrence?
        ({"scope": "all", "start": "2026-12-07T16:00:00+03:00"}, "start"),
        ({"scope": "some", "description": "x"}, "scope"),
        ({"scope": "all"}, ""),  # nothing to change
        ({"scope": "all", "start_time": "25:00"}, "start_time"),
        ({"scope": "all", "rrule": "FREQ=WEEKLY"}, "rrule"),
        ({"scope": "all", "colour": "red"}, ""),
        ({"scope": "all", "meeting_link": "http://meet.google.com/x"}, "meeting_link"),
        ({"scope": "this", "duration_minutes": 10}, "duration_minutes"),  # 30 min at least
    ],
)
def test_bad_edits_are_400(testapp, world, as_, made, body, name):
    series, lessons = made
    if name != "lesson_id":
        body = {"lesson_id": lessons[1].id, **body}
    res = patch(testapp, as_(world.teacher), series.id, body, status=400)
    assert res.content_type == "application/problem+json"
    assert name in problem_names(res)


def test_a_lesson_of_another_series_is_not_an_occurrence(testapp, world, as_, made):
    series, _ = made
    stranger = lesson(world, monday(0, 10))
    body = {"scope": "this", "lesson_id": stranger.id, "description": "x"}
    res = patch(testapp, as_(world.teacher), series.id, body, status=400)
    assert problem_names(res) == ["lesson_id"]


def test_this_cannot_move_onto_another_lesson(testapp, world, as_, made):
    series, lessons = made
    lesson(world, monday(2, 18), teacher_id=world.other_teacher.id)  # the student is busy
    body = {"scope": "this", "lesson_id": lessons[2].id, "start": monday(2, 17, 30).isoformat()}
    res = patch(testapp, as_(world.teacher), series.id, body, status=409)
    assert res.json["conflicts"]


# --- following ---------------------------------------------------------------------------


def test_following_splits_the_series(testapp, world, as_, made, dbsession):
    series, lessons = made
    body = {"scope": "following", "lesson_id": lessons[2].id, "start_time": "17:00"}
    res = patch(testapp, as_(world.teacher), series.id, body)
    new_id = res.json["id"]
    assert new_id != series.id
    assert res.headers["Content-Location"].endswith(series_url(new_id))
    dbsession.refresh(series)
    # The old series ends just before the third Monday (15:00 Moscow = 12:00 UTC).
    assert series.rrule == "FREQ=WEEKLY;UNTIL=20261221T115959Z"
    assert [x.start.day for x in occurrences_of(series)] == [7, 14]
    successor = dbsession.get(LessonSeries, new_id)
    assert successor.rrule == "FREQ=WEEKLY;COUNT=4"  # the rest of COUNT=6
    assert successor.start_local == dt.datetime(2026, 12, 21, 17, 0)
    old = lessons_of(dbsession, series.id)
    new = lessons_of(dbsession, new_id)
    assert [x.id for x in old] == [x.id for x in lessons[:2]]
    assert [x.id for x in new] == [x.id for x in lessons[2:]]  # same lessons: stable UIDs
    assert {clock(x).time() for x in old} == {dt.time(15)}
    assert {clock(x).time() for x in new} == {dt.time(17)}
    assert sorted(res.json["changed_lessons"]) == sorted(x.id for x in lessons[2:])


def test_following_keeps_an_until_and_moves_later_exceptions(testapp, world, as_, dbsession):
    body = series_body(world, rrule="FREQ=WEEKLY;UNTIL=20270111")
    series_id = testapp.post_json(SERIES, body, headers=as_(world.teacher)).json["id"]
    lessons = lessons_of(dbsession, series_id)
    delete(testapp, as_(world.teacher), series_id, scope="this", lesson_id=lessons[4].id)
    body = {"scope": "following", "lesson_id": lessons[3].id, "duration_minutes": 45}
    new_id = patch(testapp, as_(world.teacher), series_id, body).json["id"]
    successor = dbsession.get(LessonSeries, new_id)
    assert successor.rrule == "FREQ=WEEKLY;UNTIL=20270111T205959Z"
    assert successor.exdates == ["2027-01-04T15:00:00"]
    assert dbsession.get(LessonSeries, series_id).exdates == []
    moved = lessons_of(dbsession, new_id)
    assert [(x.status, x.end_at - x.start_at) for x in moved] == [
        ("pending", dt.timedelta(minutes=45)),
        ("cancelled", dt.timedelta(minutes=60)),  # a cancelled lesson is left alone
        ("pending", dt.timedelta(minutes=45)),
    ]


def test_following_from_the_first_occurrence_changes_all(testapp, world, as_, made, dbsession):
    series, lessons = made
    body = {"scope": "following", "lesson_id": lessons[0].id, "description": "Geometry"}
    res = patch(testapp, as_(world.teacher), series.id, body).json
    assert res["id"] == series.id
    assert dbsession.scalars(select(LessonSeries)).all() == [series]
    assert {x.description for x in lessons_of(dbsession, series.id)} == {"Geometry"}


# --- all ---------------------------------------------------------------------------------


def test_all_changes_only_future_lessons(testapp, world, as_, made, dbsession, frozen):
    series, lessons = made
    frozen.move_to(monday(1, 16))  # the first two lessons are over
    body = {"scope": "all", "duration_minutes": 90, "meeting_link": "https://meet.google.com/x"}
    res = patch(testapp, as_(world.teacher), series.id, body).json
    assert sorted(res["changed_lessons"]) == sorted(x.id for x in lessons[2:])
    current = lessons_of(dbsession, series.id)
    lengths = [int((x.end_at - x.start_at).total_seconds() // 60) for x in current]
    assert lengths == [60, 60, 90, 90, 90, 90]
    assert [x.meeting_link for x in current][:2] == [None, None]
    assert {x.meeting_link for x in current[2:]} == {"https://meet.google.com/x"}
    dbsession.refresh(series)
    assert series.duration_minutes == 90


def test_all_with_a_new_rule_cancels_dropped_dates_and_adds_new_ones(
    testapp, world, as_, made, dbsession
):
    series, lessons = made
    body = {"scope": "all", "rrule": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6"}
    res = patch(testapp, as_(world.teacher), series.id, body).json
    current = lessons_of(dbsession, series.id)
    active = [x for x in current if x.status == "pending"]
    assert [clock(x).strftime("%a %d") for x in active] == [
        "Mon 07",
        "Wed 09",
        "Mon 14",
        "Wed 16",
        "Mon 21",
        "Wed 23",
    ]
    cancelled = [x for x in current if x.status == "cancelled"]
    assert [x.id for x in cancelled] == [x.id for x in lessons[3:]]
    assert sorted(res["cancelled_lessons"]) == sorted(x.id for x in lessons[3:])
    assert len(res["created_lessons"]) == 3
    dbsession.refresh(series)
    assert series.rrule == "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6"


def test_all_is_refused_whole_when_a_new_time_conflicts(testapp, world, as_, made, dbsession):
    series, lessons = made
    busy = lesson(world, monday(4, 18), teacher_id=world.other_teacher.id)
    res = patch(
        testapp, as_(world.teacher), series.id, {"scope": "all", "start_time": "18:00"}, status=409
    )
    [clash] = res.json["conflicts"]
    assert clash["local_start"] == "2027-01-04T18:00:00"
    assert [c["id"] for c in clash["conflicts"]] == [busy.id]
    dbsession.expire_all()
    assert {clock(x).time() for x in lessons_of(dbsession, series.id)} == {dt.time(15)}


def test_all_does_not_bring_back_a_cancelled_occurrence(testapp, world, as_, made, dbsession):
    series, lessons = made
    delete(testapp, as_(world.teacher), series.id, scope="this", lesson_id=lessons[1].id)
    patch(testapp, as_(world.teacher), series.id, {"scope": "all", "start_time": "16:00"})
    dbsession.refresh(series)
    assert series.exdates == ["2026-12-14T16:00:00"]  # follows the new time of day
    current = lessons_of(dbsession, series.id)
    assert len(current) == 6
    assert [x.status for x in current].count("cancelled") == 1
    assert [x.start.day for x in occurrences_of(series)] == [7, 21, 28, 4, 11]


# --- cancelling --------------------------------------------------------------------------


def test_cancelling_one_occurrence_leaves_an_exdate(testapp, world, as_, made, dbsession):
    series, lessons = made
    res = delete(testapp, as_(world.teacher), series.id, scope="this", lesson_id=lessons[1].id)
    assert res.json["cancelled_lessons"] == [lessons[1].id]
    assert res.json["exdates"] == ["2026-12-14T15:00:00"]
    dbsession.refresh(lessons[1])
    assert lessons[1].status == "cancelled"
    dbsession.refresh(series)
    assert len(occurrences_of(series)) == 5


def test_a_lesson_cancelled_elsewhere_becomes_an_exception(world, made, dbsession, app):
    series, lessons = made
    settings = app.registry.settings
    lesson_states.cancel(dbsession, settings, world.teacher, lessons[3], NOW)
    record_exception(dbsession, lessons[3])
    record_exception(dbsession, lessons[3])  # idempotent
    assert series.exdates == ["2026-12-28T15:00:00"]


def test_cancelling_an_occurrence_through_the_lessons_api_leaves_an_exdate(
    testapp, world, as_, made, dbsession
):
    series, lessons = made
    testapp.post_json(
        f"/api/scheduling/lessons/{lessons[3].id}/cancel/", {}, headers=as_(world.teacher)
    )
    dbsession.refresh(series)
    assert series.exdates == ["2026-12-28T15:00:00"]


def test_cancelling_following_ends_the_series(testapp, world, as_, made, dbsession):
    series, lessons = made
    res = delete(
        testapp, as_(world.teacher), series.id, scope="following", lesson_id=lessons[4].id
    )
    assert sorted(res.json["cancelled_lessons"]) == [lessons[4].id, lessons[5].id]
    dbsession.refresh(series)
    assert series.is_active and series.rrule == "FREQ=WEEKLY;UNTIL=20270104T115959Z"
    assert [x.status for x in lessons_of(dbsession, series.id)] == ["pending"] * 4 + [
        "cancelled"
    ] * 2


def test_deleting_the_series_cancels_its_future_lessons(
    testapp, world, as_, made, dbsession, frozen
):
    series, lessons = made
    frozen.move_to(monday(1, 14))  # one lesson is over, the next starts in an hour
    res = delete(testapp, as_(world.teacher), series.id).json
    assert res["is_active"] is False
    assert res["kept_lessons"] == [lessons[1].id]  # inside the teacher's cancellation notice
    assert sorted(res["cancelled_lessons"]) == sorted(x.id for x in lessons[2:])
    assert [x.status for x in lessons_of(dbsession, series.id)] == ["pending", "pending"] + [
        "cancelled"
    ] * 4
    patch(testapp, as_(world.teacher), series.id, {"scope": "all", "description": "x"}, status=409)


def test_an_admin_cancels_even_imminent_lessons(testapp, world, as_, made, frozen):
    series, lessons = made
    frozen.move_to(monday(0, 14))
    res = delete(testapp, as_(world.admin), series.id).json
    assert res["kept_lessons"] == [] and len(res["cancelled_lessons"]) == 6


def test_people_are_told_about_a_cancelled_series(testapp, world, as_, made, dbsession):
    from thebot.notifications.models import Notification

    series, _ = made
    delete(testapp, as_(world.teacher), series.id)
    rows = dbsession.scalars(
        select(Notification).where(
            Notification.user_id == world.parent.id, Notification.kind == "lessons.cancelled"
        )
    ).all()
    assert len(rows) == 1 and "6 upcoming lessons cancelled" in rows[0].body


# --- who ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("student", 403), ("parent", 403), ("other_teacher", 404)]
)
def test_only_managers_edit_or_cancel(testapp, world, as_, made, who, status):
    series, _ = made
    user = getattr(world, who)
    patch(testapp, as_(user), series.id, {"scope": "all", "description": "x"}, status=status)
    delete(testapp, as_(user), series.id, status=status)


def test_the_tutor_manages_their_students_series(testapp, world, as_, made):
    series, _ = made
    patch(testapp, as_(world.tutor), series.id, {"scope": "all", "description": "By tutor"})


def test_a_stale_if_match_is_412(testapp, world, as_, made):
    series, _ = made
    etag = testapp.get(series_url(series.id), headers=as_(world.teacher)).headers["ETag"]
    patch(testapp, as_(world.teacher), series.id, {"scope": "all", "description": "x"})
    headers = {**as_(world.teacher), "If-Match": etag}
    testapp.patch_json(
        series_url(series.id), {"scope": "all", "description": "y"}, headers=headers, status=412
    )
