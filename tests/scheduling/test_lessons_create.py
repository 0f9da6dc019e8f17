"""Booking a lesson: who may, every rule and threshold (boundaries exactly at 30 min, 4 h and
15 min of notice), bad input as problem+json. Editing: ``test_lesson_edit``."""

from __future__ import annotations

import datetime as dt

import pytest
from lessons_support import LESSONS, NOW, at, body, item, lesson, make_world, problem_names
from sqlalchemy import select

from thebot.audit import AuditEvent
from thebot.catalog.models import Enrollment
from thebot.errors import DomainError
from thebot.scheduling import rules
from thebot.scheduling.models import Lesson, LessonHistory

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def post(testapp, headers, data, status=201):
    return testapp.post_json(LESSONS, data, headers=headers, status=status)


# --- who books ---------------------------------------------------------------------------


def test_teacher_books_a_pending_lesson_with_history_and_location(testapp, world, as_, dbsession):
    start = at(hours=25)
    res = post(testapp, as_(world.teacher), body(world, start, description="Fractions"))
    data = res.json
    assert res.headers["Location"].endswith(item(data["id"]))
    assert res.headers["ETag"]
    assert data["status"] == "pending"
    assert data["teacher"]["id"] == world.teacher.id and data["student"]["id"] == world.student.id
    assert data["subject"]["id"] == world.subject.id
    assert data["start"] == "2026-12-02T13:00:00+03:00"  # in the lesson's time zone
    assert data["end"] == "2026-12-02T14:00:00+03:00"
    assert data["timezone"] == "Europe/Moscow" and data["duration_minutes"] == 60
    assert data["enrollment_override"] is False and data["sequence"] == 0
    assert data["created_by_id"] == world.teacher.id
    stored = dbsession.get(Lesson, data["id"])
    assert stored.start_at == start
    [entry] = dbsession.scalars(select(LessonHistory).where(LessonHistory.lesson_id == stored.id))
    assert entry.action == "created" and entry.actor_id == world.teacher.id
    assert entry.old_values == {}
    assert entry.new_values["status"] == "pending"
    assert entry.new_values["start"] == start.isoformat()
    assert entry.new_values["description"] == "Fractions"


def test_teacher_id_defaults_to_the_caller(testapp, world, as_):
    data = body(world)
    del data["teacher_id"]
    assert post(testapp, as_(world.teacher), data).json["teacher_id"] == world.teacher.id


def test_the_students_tutor_books_with_the_students_teacher(testapp, world, as_):
    res = post(testapp, as_(world.tutor), body(world))
    assert res.json["teacher_id"] == world.teacher.id
    assert res.json["created_by_id"] == world.tutor.id


def test_a_tutor_cannot_book_for_someone_elses_student(testapp, world, as_):
    res = post(testapp, as_(world.other_tutor), body(world), status=403)
    assert res.json["status"] == 403


def test_a_teacher_cannot_book_for_another_teacher(testapp, world, as_):
    post(testapp, as_(world.other_teacher), body(world), status=403)


def without_request_id(res):
    return {k: v for k, v in res.json.items() if k != "request_id"}


def test_someone_elses_student_and_an_unknown_id_get_the_same_403(testapp, world, as_):
    """The authority check reads the ids only: it cannot tell who exists."""
    unrelated = post(testapp, as_(world.other_tutor), body(world), status=403)
    missing = post(testapp, as_(world.other_tutor), body(world, student_id=10**9), status=403)
    assert without_request_id(unrelated) == without_request_id(missing)


def test_a_teacher_cannot_attach_a_student_they_do_not_teach(testapp, world, as_):
    """Before: an existing unrelated student was a subject_id error (no enrollment) and the
    wrong role "Not an active student", while an unknown id was "No such user": the teacher
    learnt who exists. Now all of them are the unknown id's answer."""
    data = body(world, teacher=world.teacher, student=world.other_student)
    unrelated = post(testapp, as_(world.teacher), data, status=400)
    assert unrelated.json["errors"] == [
        {"location": "body", "name": "student_id", "description": "No such user"}
    ]
    for other in (10**9, world.other_parent.id, world.other_teacher.id):
        res = post(testapp, as_(world.teacher), {**data, "student_id": other}, status=400)
        assert without_request_id(res) == without_request_id(unrelated)


def test_a_tutor_cannot_attach_a_teacher_who_does_not_teach_their_student(testapp, world, as_):
    data = body(world, teacher=world.other_teacher)
    unrelated = post(testapp, as_(world.tutor), data, status=400)
    assert unrelated.json["errors"] == [
        {"location": "body", "name": "teacher_id", "description": "No such user"}
    ]
    for other in (10**9, world.other_student.id, world.other_parent.id):
        res = post(testapp, as_(world.tutor), {**data, "teacher_id": other}, status=400)
        assert without_request_id(res) == without_request_id(unrelated)


@pytest.mark.parametrize("role", ["student", "parent"])
def test_students_and_parents_cannot_book(testapp, world, as_, role):
    post(testapp, as_(getattr(world, role)), body(world), status=403)


def test_anonymous_booking_is_401(testapp, world):
    res = post(testapp, {}, body(world), status=401)
    assert res.headers["WWW-Authenticate"] == "Token"


def test_the_authority_check_comes_before_the_slot_rules(testapp, world, as_):
    # A caller who may not book for this pair learns nothing about the slot.
    post(testapp, as_(world.other_teacher), body(world, at(minutes=-60)), status=403)


# --- duration ----------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "status"), [(29, 400), (30, 201), (240, 201), (241, 400)])
def test_duration_boundaries(testapp, world, as_, minutes, status):
    res = post(testapp, as_(world.teacher), body(world, minutes=minutes), status=status)
    if status == 400:
        assert problem_names(res) == ["end"]
        assert "30 minutes to 240 minutes" in res.json["errors"][0]["description"]


def test_one_second_short_of_thirty_minutes_is_refused(testapp, world, as_):
    data = body(world)
    data["end"] = (at(hours=25) + dt.timedelta(minutes=29, seconds=59)).isoformat()
    post(testapp, as_(world.teacher), data, status=400)


@pytest.mark.parametrize("minutes", [0, -30])
def test_end_must_follow_start(testapp, world, as_, minutes):
    res = post(testapp, as_(world.teacher), body(world, minutes=minutes), status=400)
    assert res.json["errors"] == [
        {"location": "body", "name": "end", "description": "Must be after start"}
    ]


# --- notice ------------------------------------------------------------------------------


def test_exactly_fifteen_minutes_notice_is_enough(testapp, world, as_):
    post(testapp, as_(world.teacher), body(world, at(minutes=15)))


def test_one_second_less_than_fifteen_minutes_notice_is_refused(testapp, world, as_):
    res = post(testapp, as_(world.teacher), body(world, at(minutes=15, seconds=-1)), status=400)
    assert problem_names(res) == ["start"]
    assert "15 minutes" in res.json["errors"][0]["description"]


@pytest.mark.parametrize("start", [at(minutes=-1), at(hours=-48), NOW])
def test_a_lesson_in_the_past_or_starting_now_is_refused(testapp, world, as_, start):
    res = post(testapp, as_(world.teacher), body(world, start), status=400)
    assert problem_names(res) == ["start"]


def test_past_start_says_so(testapp, world, as_):
    res = post(testapp, as_(world.teacher), body(world, at(hours=-1)), status=400)
    assert res.json["errors"][0]["description"] == "Is in the past"


def test_every_failing_rule_is_reported_at_once(testapp, world, as_):
    data = body(world, at(hours=-1), minutes=10, meeting_link="http://meet.google.com/x")
    data["subject_id"] = world.subject.id + 1000
    res = post(testapp, as_(world.teacher), data, status=400)
    assert sorted(problem_names(res)) == ["end", "meeting_link", "start", "subject_id"]
    assert res.json["detail"] == "4 fields are invalid"


# --- enrollment and participants ---------------------------------------------------------


def test_booking_needs_an_active_enrollment(testapp, world, as_, dbsession):
    enrollment = dbsession.scalars(
        select(Enrollment).where(Enrollment.student_id == world.student.id)
    ).one()
    enrollment.status = "dropped"
    dbsession.flush()
    res = post(testapp, as_(world.admin), body(world), status=400)
    assert problem_names(res) == ["subject_id"]
    assert "no active enrollment" in res.json["errors"][0]["description"]
    # The teacher no longer teaches (so no longer sees) the student at all.
    res = post(testapp, as_(world.teacher), body(world), status=400)
    assert res.json["errors"] == [
        {"location": "body", "name": "student_id", "description": "No such user"}
    ]


def test_an_enrollment_with_another_teacher_does_not_count(testapp, world, as_):
    # other_student is enrolled in the same subject, but with other_teacher.
    data = body(world, student=world.other_student)
    res = post(testapp, as_(world.admin), data, status=400)
    assert problem_names(res) == ["subject_id"]


def test_admin_override_books_without_enrollment_and_is_recorded(testapp, world, as_, dbsession):
    data = body(world, student=world.other_student, override_enrollment=True)
    res = post(testapp, as_(world.admin), data)
    assert res.json["enrollment_override"] is True
    history = dbsession.scalars(
        select(LessonHistory).where(LessonHistory.lesson_id == res.json["id"])
    ).one()
    assert history.new_values["enrollment_override"] is True
    event = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "lesson.enrollment_override")
    ).one()
    assert event.target_id == str(res.json["id"]) and event.actor_id == world.admin.id


def test_an_unneeded_override_is_not_recorded(testapp, world, as_):
    res = post(testapp, as_(world.admin), body(world, override_enrollment=True))
    assert res.json["enrollment_override"] is False


def test_only_admins_may_override_the_enrollment(testapp, world, as_):
    data = body(world, override_enrollment=True)
    res = post(testapp, as_(world.teacher), data, status=403)
    assert "override" in res.json["detail"]


def test_an_override_still_needs_a_real_subject(testapp, world, as_):
    data = body(world, override_enrollment=True, subject_id=world.subject.id + 1000)
    res = post(testapp, as_(world.admin), data, status=400)
    assert res.json["errors"][0] == {
        "location": "body",
        "name": "subject_id",
        "description": "No such subject",
    }


@pytest.mark.parametrize(
    ("field", "who", "description"),
    [
        ("teacher_id", "student", "Not an active teacher or tutor"),
        ("teacher_id", "parent", "Not an active teacher or tutor"),
        ("student_id", "teacher", "Not an active student"),
        ("student_id", "parent", "Not an active student"),
    ],
)
def test_participants_must_have_the_right_roles(testapp, world, as_, field, who, description):
    data = body(world, **{field: getattr(world, who).id})
    res = post(testapp, as_(world.admin), data, status=400)
    assert res.json["errors"] == [{"location": "body", "name": field, "description": description}]


def test_unknown_participants_are_400(testapp, world, as_):
    data = body(world, teacher_id=10**9, student_id=10**9 + 1)
    res = post(testapp, as_(world.admin), data, status=400)
    assert problem_names(res) == ["teacher_id", "student_id"]


def test_an_inactive_student_cannot_be_booked(testapp, world, as_, dbsession):
    world.student.is_active = False
    dbsession.flush()
    res = post(testapp, as_(world.teacher), body(world), status=400)
    assert problem_names(res) == ["student_id"]


# --- meeting link and time zone ----------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "https://telemost.yandex.ru/j/12345678901234",
        "https://meet.google.com/abc-defg-hij",
        "https://MEET.google.com/abc-defg-hij",
        "https://meet.google.com:443/abc",
    ],
)
def test_https_links_on_allowed_hosts_are_accepted(testapp, world, as_, link):
    assert (
        post(testapp, as_(world.teacher), body(world, meeting_link=link)).json["meeting_link"]
        == link
    )


@pytest.mark.parametrize(
    "link",
    [
        "http://meet.google.com/abc",
        "https://zoom.us/j/1",
        "https://evil.meet.google.com/abc",
        "https://meet.google.com.evil.example/abc",
        "https://user:pw@meet.google.com/abc",
        "https://meet.google.com:8443/abc",
        "javascript:alert(1)",
        "https://meet.google.com/a b",
        "meet.google.com/abc",
        "https://",
    ],
)
def test_other_links_are_refused(testapp, world, as_, link):
    res = post(testapp, as_(world.teacher), body(world, meeting_link=link), status=400)
    assert problem_names(res) == ["meeting_link"]


@pytest.mark.parametrize("link", [None, ""])
def test_no_meeting_link_is_fine(testapp, world, as_, link):
    assert (
        post(testapp, as_(world.teacher), body(world, meeting_link=link)).json["meeting_link"]
        is None
    )


def test_allowed_hosts_come_from_settings_with_subdomain_patterns():
    settings = {"meeting_link_hosts": [".example.com", "meet.jit.si"]}
    hosts = rules.setting(settings, "meeting_link_hosts")
    assert rules.meeting_link_error("https://video.example.com/x", hosts) is None
    assert rules.meeting_link_error("https://example.com/x", hosts) is None
    assert rules.meeting_link_error("https://meet.jit.si/room", hosts) is None
    assert rules.meeting_link_error("https://badexample.com/x", hosts) is not None
    assert rules.meeting_link_error("https://meet.google.com/x", hosts) is not None


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "+03:00", "europe/moscow"])
def test_timezone_must_be_an_iana_name(testapp, world, as_, zone):
    res = post(testapp, as_(world.teacher), body(world, timezone=zone), status=400)
    assert problem_names(res) == ["timezone"]


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"start": "2026-12-02T10:00:00"}, "start"),  # no offset
        ({"start": "tomorrow"}, "start"),
        ({"start": None}, "start"),
        ({"end": "9999-12-31T23:59:59-23:59"}, "end"),
        ({"student_id": True}, "student_id"),
        ({"student_id": "7"}, "student_id"),
        ({"subject_id": 1.5}, "subject_id"),
        ({"override_enrollment": "maybe"}, "override_enrollment"),
        ({"description": "x" * 5001}, "description"),
        ({"meeting_link": "https://meet.google.com/" + "x" * 500}, "meeting_link"),
    ],
)
def test_bad_fields_are_400_naming_them(testapp, world, as_, change, name):
    data = {**body(world), **change}
    res = post(testapp, as_(world.teacher), data, status=400)
    assert res.content_type == "application/problem+json"
    assert name in problem_names(res)


def test_unknown_fields_are_refused(testapp, world, as_):
    res = post(testapp, as_(world.teacher), {**body(world), "status": "confirmed"}, status=400)
    assert "status" in res.json["errors"][0]["description"]


def test_missing_fields_are_named(testapp, world, as_):
    res = post(testapp, as_(world.teacher), {}, status=400)
    assert {"student_id", "subject_id", "start", "end", "timezone"} <= set(problem_names(res))


def test_malformed_json_is_400(testapp, world, as_):
    res = testapp.post(
        LESSONS,
        "{not json",
        headers={**as_(world.teacher), "Content-Type": "application/json"},
        status=400,
    )
    assert res.content_type == "application/problem+json"


# --- the rules as a function (the series feature calls them) -----------------------------


def test_validate_slot_reads_thresholds_from_settings(world, dbsession):
    settings = {
        "lesson_min_minutes": 45,
        "lesson_max_minutes": 90,
        "lesson_min_notice_minutes": 60,
    }

    def check(start, minutes):
        return rules.validate_slot(
            dbsession,
            settings,
            actor=world.teacher,
            teacher=world.teacher,
            student=world.student,
            subject_id=world.subject.id,
            start=start,
            end=start + dt.timedelta(minutes=minutes),
            timezone="UTC",
            meeting_link=None,
            now=NOW,
        )

    assert check(at(hours=1), 45) is False
    assert check(at(hours=1), 90) is False
    for start, minutes in [(at(hours=1), 44), (at(hours=1), 91), (at(minutes=59), 60)]:
        with pytest.raises(DomainError) as exc:
            check(start, minutes)
        assert exc.value.status == 400


def test_can_cancel_needs_the_notice_except_for_admins(world):
    settings = {"lesson_cancel_notice_hours": 2}
    row = type("L", (), {"start_at": at(hours=2), "teacher_id": 0, "student_id": 0})()
    assert rules.can_cancel(world.teacher, row, NOW, settings) is True
    assert rules.can_cancel(world.teacher, row, NOW + dt.timedelta(seconds=1), settings) is False
    assert rules.can_cancel(world.admin, row, at(hours=5), settings) is True


def test_can_manage_is_teacher_tutor_or_admin(world, dbsession):
    row = lesson(world, at(hours=30))
    allowed = {
        "admin": True,
        "teacher": True,
        "tutor": True,
        "student": False,
        "parent": False,
        "other_teacher": False,
        "other_tutor": False,
    }
    for name, expected in allowed.items():
        assert rules.can_manage(dbsession, getattr(world, name), row) is expected, name


def test_huge_ids_are_plain_400s_on_every_database(testapp, world, as_):
    largest, huge = 2**31 - 1, 2**31  # ids are 32-bit integers
    admin = as_(world.admin)
    res = post(testapp, admin, body(world, teacher_id=largest, student_id=largest), 400)
    assert [e["description"] for e in res.json["errors"]] == ["No such user", "No such user"]
    res = post(testapp, admin, body(world, teacher_id=huge, student_id=2**62), 400)
    assert problem_names(res) == ["teacher_id", "student_id"]
    data = body(world, subject_id=largest, override_enrollment=True)
    assert problem_names(post(testapp, admin, data, 400)) == ["subject_id"]
    testapp.get(item(huge), headers=admin, status=404)
    testapp.get(item(largest), headers=admin, status=404)
    assert testapp.get(LESSONS, {"student": largest}, headers=admin).json["items"] == []
    res = testapp.get(LESSONS, {"student": huge}, headers=admin, status=400)
    assert problem_names(res) == ["student"]


@pytest.mark.parametrize("field", ["description", "notes", "meeting_link"])
def test_nul_characters_are_400_not_a_database_error(testapp, world, as_, field):
    data = body(world, **{field: "https://meet.google.com/a\x00b"})
    assert problem_names(post(testapp, as_(world.teacher), data, 400)) == [field]
