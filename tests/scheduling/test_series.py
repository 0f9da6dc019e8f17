"""Recurring series: RRULE parsing and caps (dateutil does the expansion), creating a series
through the API (its lessons, history, notifications, who may), reading and listing."""

from __future__ import annotations

import datetime as dt

import pytest
from lessons_support import make_world, problem_names
from series_support import (
    FIRST_MONDAY,
    MOSCOW,
    SERIES,
    lessons_of,
    local,
    series_body,
    series_url,
    wall_clock,
)
from sqlalchemy import func, select

from factories import LessonSeriesFactory
from thebot.audit import AuditEvent
from thebot.notifications.models import Notification
from thebot.scheduling.models import LessonHistory, LessonSeries
from thebot.scheduling.rrule import (
    Rule,
    RuleError,
    check_caps,
    expand,
    parse_rule,
    to_utc,
)

pytestmark = pytest.mark.usefixtures("frozen")

UTC = dt.timezone.utc


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def create(testapp, headers, data, status=201, query=""):
    return testapp.post_json(SERIES + query, data, headers=headers, status=status)


# --- the rule ----------------------------------------------------------------------------


def test_a_weekly_rule_is_parsed_and_written_canonically():
    rule = parse_rule("rrule:freq=weekly;byday=we,mo;count=10", MOSCOW)
    assert rule == Rule(interval=1, byday=("MO", "WE"), count=10)
    assert rule.text() == "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"


def test_biweekly_with_byday_expands_every_other_week():
    rule = parse_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=6", MOSCOW)
    days = [t.date().isoformat() for t in expand(rule, dt.datetime(2026, 12, 8, 15), MOSCOW)]
    assert days == [
        "2026-12-08",
        "2026-12-10",
        "2026-12-22",
        "2026-12-24",
        "2027-01-05",
        "2027-01-07",
    ]


def test_without_byday_the_start_weekday_repeats():
    rule = parse_rule("FREQ=WEEKLY;COUNT=3", MOSCOW)
    found = expand(rule, FIRST_MONDAY, MOSCOW)
    assert found == [FIRST_MONDAY + dt.timedelta(weeks=w) for w in range(3)]


@pytest.mark.parametrize(
    "until",
    ["20261221", "20261221T150000", "20261221T120000Z"],  # a date, local time, UTC instant
)
def test_until_includes_its_last_occurrence_in_every_form(until):
    rule = parse_rule(f"FREQ=WEEKLY;UNTIL={until}", MOSCOW)
    assert rule.until is not None and rule.until.tzinfo is not None
    assert [t.day for t in expand(rule, FIRST_MONDAY, MOSCOW)] == [7, 14, 21]


def test_until_is_stored_in_utc():
    rule = parse_rule("FREQ=WEEKLY;UNTIL=20261221", MOSCOW)
    assert rule.text() == "FREQ=WEEKLY;UNTIL=20261221T205959Z"  # 23:59:59 Moscow


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("FREQ=WEEKLY", "exactly one of COUNT or UNTIL"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "exactly one of COUNT or UNTIL"),
        ("FREQ=DAILY;COUNT=3", "Only weekly"),
        ("FREQ=MONTHLY;COUNT=3", "Only weekly"),
        ("FREQ=WEEKLY;INTERVAL=3;COUNT=3", "INTERVAL must be 1"),
        ("FREQ=WEEKLY;INTERVAL=x;COUNT=3", "INTERVAL must be a whole number"),
        ("FREQ=WEEKLY;BYDAY=1MO;COUNT=3", "no ordinals"),
        ("FREQ=WEEKLY;BYDAY=MO,MO;COUNT=3", "twice"),
        ("FREQ=WEEKLY;BYMONTH=1;COUNT=3", "BYMONTH is not supported"),
        ("FREQ=WEEKLY;COUNT=0", "at least 1"),
        ("FREQ=WEEKLY;COUNT=-1", "whole number"),
        ("FREQ=WEEKLY;COUNT=3;COUNT=4", "twice"),
        ("FREQ=WEEKLY;UNTIL=2027-01-01", "UNTIL must look like"),
        ("FREQ=WEEKLY;UNTIL=20270231", "not a real date"),
        ("FREQ=WEEKLY;COUNT", "is not NAME=VALUE"),
        ("", "Give a recurrence rule"),
        ("FREQ=WEEKLY;WKST=XX;COUNT=2", "WKST must be a weekday"),
    ],
)
def test_bad_rules_say_why(text, words):
    with pytest.raises(RuleError, match=words):
        parse_rule(text, MOSCOW)


def test_caps_allow_52_occurrences_and_refuse_53():
    weekly = parse_rule("FREQ=WEEKLY;COUNT=52", MOSCOW)
    check_caps(expand(weekly, FIRST_MONDAY, MOSCOW), 52, 366)
    too_many = expand(parse_rule("FREQ=WEEKLY;COUNT=53", MOSCOW), FIRST_MONDAY, MOSCOW)
    with pytest.raises(RuleError, match="at most 52"):
        check_caps(too_many, 52, 366)


def test_caps_refuse_a_series_longer_than_a_year():
    biweekly = parse_rule("FREQ=WEEKLY;INTERVAL=2;COUNT=30", MOSCOW)  # 58 weeks
    with pytest.raises(RuleError, match="at most 366 days"):
        check_caps(expand(biweekly, FIRST_MONDAY, MOSCOW), 52, 366)


def test_to_utc_follows_the_zone():
    assert to_utc(FIRST_MONDAY, MOSCOW) == dt.datetime(2026, 12, 7, 12, tzinfo=UTC)


# --- creating through the API ------------------------------------------------------------


def test_teacher_creates_a_series_and_its_lessons(testapp, world, as_, dbsession):
    res = create(testapp, as_(world.teacher), series_body(world, description="Algebra"))
    data = res.json
    assert res.headers["Location"].endswith(series_url(data["id"]))
    assert res.headers["ETag"]
    assert data["rrule"] == "FREQ=WEEKLY;COUNT=4"
    assert data["start"] == "2026-12-07T15:00:00+03:00"
    assert data["local_start"] == "2026-12-07T15:00:00"
    assert data["last_start"] == "2026-12-28T15:00:00+03:00"
    assert data["timezone"] == MOSCOW and data["duration_minutes"] == 60
    assert data["skipped"] == [] and data["exdates"] == [] and data["is_active"] is True
    assert [x["start"] for x in data["lessons"]] == [
        f"2026-12-{day:02d}T15:00:00+03:00" for day in (7, 14, 21, 28)
    ]
    stored = lessons_of(dbsession, data["id"])
    assert len(stored) == 4
    for lesson in stored:
        assert lesson.status == "pending" and lesson.description == "Algebra"
        assert lesson.occurrence_start == lesson.start_at  # the RECURRENCE-ID
        assert lesson.end_at - lesson.start_at == dt.timedelta(hours=1)
        assert wall_clock(lesson) == dt.datetime.combine(wall_clock(lesson).date(), dt.time(15))
        [entry] = dbsession.scalars(
            select(LessonHistory).where(LessonHistory.lesson_id == lesson.id)
        )
        assert entry.action == "created" and entry.actor_id == world.teacher.id


def test_the_first_lesson_is_the_first_day_the_rule_matches(testapp, world, as_, dbsession):
    # Starts on a Monday but the rule says Wednesdays and Fridays.
    data = series_body(world, rrule="FREQ=WEEKLY;BYDAY=WE,FR;COUNT=3")
    res = create(testapp, as_(world.teacher), data).json
    assert res["local_start"] == "2026-12-09T15:00:00"
    days = [wall_clock(x).date().isoformat() for x in lessons_of(dbsession, res["id"])]
    assert days == ["2026-12-09", "2026-12-11", "2026-12-16"]


def test_biweekly_series_through_the_api(testapp, world, as_, dbsession):
    data = series_body(world, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20270110")
    res = create(testapp, as_(world.teacher), data).json
    days = [wall_clock(x).date().isoformat() for x in lessons_of(dbsession, res["id"])]
    assert days == [
        "2026-12-07",
        "2026-12-10",
        "2026-12-21",
        "2026-12-24",
        "2027-01-04",
        "2027-01-07",
    ]


def test_a_tutor_creates_for_their_student(testapp, world, as_, dbsession):
    res = create(testapp, as_(world.tutor), series_body(world)).json
    assert res["teacher_id"] == world.teacher.id and res["created_by_id"] == world.tutor.id


def test_teacher_id_defaults_to_the_caller(testapp, world, as_):
    data = series_body(world)
    del data["teacher_id"]
    assert create(testapp, as_(world.teacher), data).json["teacher_id"] == world.teacher.id


@pytest.mark.parametrize("who", ["student", "parent"])
def test_students_and_parents_cannot_create(testapp, world, as_, who):
    res = create(testapp, as_(getattr(world, who)), series_body(world), status=403)
    assert res.content_type == "application/problem+json"


def test_anonymous_is_401(testapp, world):
    testapp.post_json(SERIES, series_body(world), status=401)
    testapp.get(SERIES, status=401)


def test_another_teacher_without_enrollment_is_refused(testapp, world, as_, dbsession):
    data = series_body(world, teacher_id=world.other_teacher.id)
    res = create(testapp, as_(world.other_teacher), data, status=400)
    # A student the teacher does not teach is "No such user", like an unknown id.
    assert problem_names(res) == ["student_id"]
    missing = create(testapp, as_(world.other_teacher), {**data, "student_id": 10**9}, status=400)
    assert missing.json["errors"] == res.json["errors"]
    assert dbsession.scalar(select(func.count()).select_from(LessonSeries)) == 0


def test_an_admin_may_override_the_enrollment_and_it_is_audited(testapp, world, as_, dbsession):
    data = series_body(world, student_id=world.other_student.id, override_enrollment=True)
    res = create(testapp, as_(world.admin), data).json
    assert all(x.enrollment_override for x in lessons_of(dbsession, res["id"]))
    events = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "series.enrollment_override")
    ).all()
    assert [e.target_id for e in events] == [str(res["id"])]


def test_a_non_admin_asking_for_the_override_is_403(testapp, world, as_):
    create(testapp, as_(world.teacher), series_body(world, override_enrollment=True), status=403)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"rrule": "FREQ=WEEKLY"}, "rrule"),  # no COUNT or UNTIL: a series must end
        ({"rrule": "FREQ=DAILY;COUNT=3"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=53"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;INTERVAL=2;COUNT=30"}, "rrule"),  # longer than a year
        ({"rrule": "FREQ=WEEKLY;UNTIL=20261201"}, "rrule"),  # ends before it starts
        ({"duration_minutes": 20}, "duration_minutes"),  # the lesson rules: 30 min to 4 h
        ({"duration_minutes": 300}, "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": "sixty"}, "duration_minutes"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"start": "2026-12-07T15:00:00"}, "start"),  # no offset
        ({"start": "2026-11-30T15:00:00+03:00"}, "start"),  # in the past
        ({"meeting_link": "http://meet.google.com/abc"}, "meeting_link"),
        ({"colour": "red"}, "colour"),  # unknown fields are rejected
        ({"student_id": None}, "student_id"),
    ],
)
def test_bad_input_is_a_400_problem(testapp, world, as_, dbsession, change, name):
    res = create(testapp, as_(world.teacher), {**series_body(world), **change}, status=400)
    assert res.content_type == "application/problem+json"
    assert any(name == e["name"] or name in e["description"] for e in res.json["errors"])
    assert dbsession.scalar(select(func.count()).select_from(LessonSeries)) == 0


def test_a_missing_rrule_is_a_400(testapp, world, as_):
    data = series_body(world)
    del data["rrule"]
    assert "rrule" in problem_names(create(testapp, as_(world.teacher), data, status=400))


def test_caps_come_from_settings(app, testapp, world, as_, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "series_max_occurrences", 3)
    res = create(testapp, as_(world.teacher), series_body(world), status=400)
    assert "at most 3" in res.json["errors"][0]["description"]


def test_people_are_told_once_per_series_not_once_per_lesson(testapp, world, as_, dbsession):
    create(testapp, as_(world.teacher), series_body(world))
    kinds = {}
    for user in (world.teacher, world.student, world.parent):
        rows = dbsession.scalars(select(Notification).where(Notification.user_id == user.id))
        kinds[user.username] = [(n.kind, n.title) for n in rows]
    assert kinds[world.teacher.username] == []  # the one who booked knows
    expected = [("lessons.booked", f"Lessons booked: {world.subject.name}")]
    assert kinds[world.student.username] == expected
    assert kinds[world.parent.username] == expected
    [note] = dbsession.scalars(select(Notification).where(Notification.user_id == world.parent.id))
    assert "4 lessons, every week on Monday at 15:00 (Europe/Moscow)" in note.body


def test_a_repeated_idempotency_key_creates_one_series(testapp, world, as_, dbsession):
    headers = {**as_(world.teacher), "Idempotency-Key": "series-once-1"}
    first = testapp.post_json(SERIES, series_body(world), headers=headers, status=201)
    again = testapp.post_json(SERIES, series_body(world), headers=headers, status=201)
    assert again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert dbsession.scalar(select(func.count()).select_from(LessonSeries)) == 1


# --- reading -----------------------------------------------------------------------------


def test_get_shows_the_series_with_its_lessons_and_honours_etags(testapp, world, as_):
    series_id = create(testapp, as_(world.teacher), series_body(world)).json["id"]
    res = testapp.get(series_url(series_id), headers=as_(world.parent))
    assert len(res.json["lessons"]) == 4 and "notes" not in res.json["lessons"][0]
    headers = {**as_(world.parent), "If-None-Match": res.headers["ETag"]}
    testapp.get(series_url(series_id), headers=headers, status=304)


@pytest.mark.parametrize("who", ["other_teacher", "other_parent", "other_tutor"])
def test_outsiders_get_404(testapp, world, as_, who):
    series_id = create(testapp, as_(world.teacher), series_body(world)).json["id"]
    testapp.get(series_url(series_id), headers=as_(getattr(world, who)), status=404)


@pytest.mark.parametrize("raw", ["0", "abc", "99999999999", "-1"])
def test_unknown_or_malformed_ids_are_404(testapp, world, as_, raw):
    testapp.get(f"{SERIES}{raw}/", headers=as_(world.admin), status=404)


def test_list_is_filtered_by_visibility_and_query(testapp, world, as_):
    mine = create(testapp, as_(world.teacher), series_body(world)).json["id"]
    other = series_body(
        world,
        teacher_id=world.other_teacher.id,
        student_id=world.other_student.id,
    )
    theirs = create(testapp, as_(world.other_teacher), other).json["id"]

    def ids(user, query=""):
        return [x["id"] for x in testapp.get(SERIES + query, headers=as_(user)).json["items"]]

    assert ids(world.teacher) == [mine]
    assert ids(world.parent) == [mine] and ids(world.student) == [mine]
    assert ids(world.tutor) == [mine]
    assert ids(world.other_parent) == [theirs]
    assert ids(world.admin) == [mine, theirs]
    assert ids(world.admin, f"?teacher={world.other_teacher.id}") == [theirs]
    assert ids(world.admin, "?active=false") == []
    assert ids(world.admin, "?limit=1") == [mine]
    testapp.get(SERIES + "?active=maybe", headers=as_(world.admin), status=400)
    testapp.get(SERIES + "?colour=red", headers=as_(world.admin), status=400)


def test_occurrences_keep_their_local_time_in_any_zone(testapp, world, as_, dbsession):
    start = local(dt.datetime(2026, 12, 8, 9, 30), "Asia/Vladivostok")
    data = series_body(world, start, "FREQ=WEEKLY;COUNT=2", timezone="Asia/Vladivostok")
    res = create(testapp, as_(world.teacher), data).json
    assert [wall_clock(x) for x in lessons_of(dbsession, res["id"])] == [
        dt.datetime(2026, 12, 8, 9, 30),
        dt.datetime(2026, 12, 15, 9, 30),
    ]


@pytest.mark.parametrize("who", ["admin", "teacher", "tutor", "parent", "student"])
def test_the_list_runs_a_constant_number_of_queries(
    testapp, world, as_, dbsession, queries_for_1_and_30, who
):
    headers = as_(getattr(world, who))

    def add(n):
        for _ in range(n):
            LessonSeriesFactory(
                teacher_id=world.teacher.id,
                student_id=world.student.id,
                subject_id=world.subject.id,
                created_by_id=world.teacher.id,
            )
        dbsession.flush()

    queries_for_1_and_30(add, lambda: testapp.get(SERIES, headers=headers).json["items"])
