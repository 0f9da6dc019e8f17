"""``GET /lessons/``: filters, ordering by start, cursor pagination, a constant number of
queries; and the ``upcoming_lessons`` dashboard section of each role."""

from __future__ import annotations

import datetime as dt

import pytest
from lessons_support import LESSONS, at, lesson, make_world

from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory
from thebot.dashboards.cache import bump_generations
from thebot.scheduling.lessons.dashboard import UPCOMING_LIMIT

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture(autouse=True)
def fresh_dashboards(app):
    """Cached dashboards outlive a test's rolled-back rows (and SQLite reuses their ids)."""
    bump_generations(app.registry, (), everyone=True)


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def ids(res):
    return [i["id"] for i in res.json["items"]]


def test_lessons_are_ordered_by_start_then_id(testapp, world, auth_headers):
    late = lesson(world, at(hours=50))
    early = lesson(world, at(hours=26))
    twin = lesson(world, at(hours=26), teacher_id=world.other_teacher.id)
    res = testapp.get(LESSONS, headers=auth_headers(world.admin))
    assert ids(res) == [early.id, twin.id, late.id]
    assert res.json["next_cursor"] is None and "Link" not in res.headers


def test_pages_follow_the_cursor(testapp, world, auth_headers):
    rows = [lesson(world, at(hours=24 + 2 * n)) for n in range(5)]
    headers = auth_headers(world.teacher)
    first = testapp.get(LESSONS, {"limit": 2}, headers=headers)
    assert ids(first) == [rows[0].id, rows[1].id]
    assert 'rel="next"' in first.headers["Link"]
    second = testapp.get(
        LESSONS, {"limit": 2, "cursor": first.json["next_cursor"]}, headers=headers
    )
    third = testapp.get(
        LESSONS, {"limit": 2, "cursor": second.json["next_cursor"]}, headers=headers
    )
    assert ids(second) + ids(third) == [r.id for r in rows[2:]]
    assert third.json["next_cursor"] is None


def test_from_and_to_select_the_lessons_overlapping_the_window(testapp, world, auth_headers):
    before = lesson(world, at(hours=10))  # 19:00-20:00
    touching = lesson(world, at(hours=11))  # ends at 21:00, exactly at "from"
    across = lesson(world, at(hours=11, minutes=30))  # 20:30-21:30
    inside = lesson(world, at(hours=13))
    at_end = lesson(world, at(hours=15))  # starts exactly at "to"
    window = {"from": at(hours=12).isoformat(), "to": at(hours=15).isoformat()}
    res = testapp.get(LESSONS, window, headers=auth_headers(world.teacher))
    assert ids(res) == [across.id, inside.id]
    assert before.id not in ids(res) and touching.id not in ids(res) and at_end.id not in ids(res)


def test_query_offsets_survive_an_unescaped_plus(testapp, world, auth_headers):
    row = lesson(world, at(hours=13))
    url = f"{LESSONS}?from=2026-12-01T23:00:00+03:00"  # "+" arrives as a space
    assert ids(testapp.get(url, headers=auth_headers(world.teacher))) == [row.id]


def test_filters_by_student_teacher_subject_and_status(testapp, world, auth_headers):
    maths = lesson(world, at(hours=30))
    other_subject = SubjectFactory()
    physics = lesson(world, at(hours=32), subject_id=other_subject.id, status="confirmed")
    theirs = lesson(
        world, at(hours=34), teacher_id=world.other_teacher.id, student_id=world.other_student.id
    )
    admin = auth_headers(world.admin)

    def get(**params):
        return ids(testapp.get(LESSONS, params, headers=admin))

    assert get(student=world.student.id) == [maths.id, physics.id]
    assert get(teacher=world.other_teacher.id) == [theirs.id]
    assert get(subject=other_subject.id) == [physics.id]
    assert get(status="confirmed") == [physics.id]
    assert get(status="pending", student=world.student.id) == [maths.id]
    assert get(student=world.student.id, teacher=world.other_teacher.id) == []


def test_filters_never_widen_visibility(testapp, world, auth_headers):
    lesson(
        world, at(hours=34), teacher_id=world.other_teacher.id, student_id=world.other_student.id
    )
    res = testapp.get(
        LESSONS, {"student": world.other_student.id}, headers=auth_headers(world.parent)
    )
    assert ids(res) == []


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "done"}, "status"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-12-01T10:00:00"}, "to"),
        ({"student": "abc"}, "student"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"from": "2026-12-02T10:00:00Z", "to": "2026-12-02T10:00:00Z"}, "to"),
    ],
)
def test_bad_filters_are_400(testapp, world, auth_headers, params, name):
    res = testapp.get(LESSONS, params, headers=auth_headers(world.teacher), status=400)
    assert name in [e["name"] for e in res.json["errors"]]


def test_unknown_filters_and_cursors_are_400(testapp, world, auth_headers):
    headers = auth_headers(world.teacher)
    testapp.get(LESSONS, {"colour": "red"}, headers=headers, status=400)
    testapp.get(LESSONS, {"cursor": "not-a-cursor"}, headers=headers, status=400)


def test_the_list_needs_authentication(testapp):
    testapp.get(LESSONS, status=401)


def grow(world, make_user, n):
    """``n`` more lessons of the world's student (own teachers, subjects) and teacher."""
    for k in range(n):
        teacher = make_user("teacher")
        subject = SubjectFactory()
        lesson(world, at(hours=100 + 2 * k), teacher_id=teacher.id, subject_id=subject.id)
        student = make_user("student", profile={"tutor_id": world.tutor.id})
        ParentLinkFactory(student=student, parent=world.parent)
        lesson(world, at(hours=101 + 2 * k), student_id=student.id, notes="n")


@pytest.mark.parametrize("who", ["admin", "teacher", "tutor", "parent", "student"])
def test_the_list_runs_a_constant_number_of_queries(
    testapp, world, make_user, auth_headers, count_queries, dbsession, who
):
    headers = auth_headers(getattr(world, who))
    grow(world, make_user, 1)
    with count_queries() as few:
        small = testapp.get(LESSONS, headers=headers).json["items"]
    grow(world, make_user, 30)
    dbsession.flush()
    with count_queries() as many:
        big = testapp.get(LESSONS, headers=headers).json["items"]
    assert len(big) > len(small) >= 1
    assert few.count == many.count


# --- dashboards --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["student", "teacher", "tutor", "parent"])
def test_upcoming_lessons_on_each_dashboard(testapp, world, auth_headers, role):
    running = lesson(world, at(minutes=-30), status="confirmed")
    soon = lesson(world, at(hours=3), meeting_link="https://meet.google.com/x")
    lesson(world, at(hours=5), status="cancelled")
    lesson(world, at(hours=-5), status="confirmed")  # over
    lesson(
        world, at(hours=6), teacher_id=world.other_teacher.id, student_id=world.other_student.id
    )
    user = getattr(world, role)
    body = testapp.get(f"/api/dashboard/{role}/", headers=auth_headers(user)).json
    section = body["sections"]["upcoming_lessons"]
    assert section["count"] == 2
    assert [i["id"] for i in section["items"]] == [running.id, soon.id]
    item = section["items"][1]
    assert item["teacher"]["id"] == world.teacher.id and item["student"]["id"] == world.student.id
    assert item["subject"]["id"] == world.subject.id
    assert item["meeting_link"] == "https://meet.google.com/x"
    assert "notes" not in item


def test_a_booking_refreshes_the_cached_dashboard(testapp, world, auth_headers):
    headers = auth_headers(world.student)
    url = "/api/dashboard/student/"
    assert testapp.get(url, headers=headers).json["sections"]["upcoming_lessons"]["count"] == 0
    testapp.post_json(
        LESSONS,
        {
            "student_id": world.student.id,
            "subject_id": world.subject.id,
            "start": at(hours=30).isoformat(),
            "end": at(hours=31).isoformat(),
            "timezone": "UTC",
        },
        headers=auth_headers(world.teacher),
    )
    assert testapp.get(url, headers=headers).json["sections"]["upcoming_lessons"]["count"] == 1


@pytest.mark.parametrize("role", ["student", "teacher", "tutor", "parent"])
def test_the_dashboard_section_runs_a_constant_number_of_queries(
    app, testapp, world, make_user, auth_headers, count_queries, dbsession, role
):
    user = getattr(world, role)
    headers = auth_headers(user)
    url = f"/api/dashboard/{role}/"
    grow(world, make_user, 1)
    with count_queries() as few:
        small = testapp.get(url, headers=headers).json["sections"]["upcoming_lessons"]
    grow(world, make_user, 30)
    EnrollmentFactory()  # unrelated, just more rows
    dbsession.flush()
    bump_generations(app.registry, [user.id])
    with count_queries() as many:
        big = testapp.get(url, headers=headers).json["sections"]["upcoming_lessons"]
    assert big["count"] > small["count"]
    assert len(big["items"]) == UPCOMING_LIMIT < big["count"]  # counted beyond the page
    assert few.count == many.count


def test_times_are_in_the_lessons_zone(testapp, world, auth_headers):
    lesson(world, dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc), timezone="Asia/Tokyo")
    [item] = testapp.get(LESSONS, headers=auth_headers(world.teacher)).json["items"]
    assert item["start"] == "2026-12-02T21:00:00+09:00"
