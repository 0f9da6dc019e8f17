"""Lesson booked, rescheduled, cancelled: the teacher, the student and the student's parents
are told (not whoever made the change), in their own time zone; emails leave after commit
only, and a refused change tells nobody."""

from __future__ import annotations

import dramatiq
import pytest
from lessons_support import LESSONS, at, body, item, lesson, make_world
from sqlalchemy import select

from factories import ParentLinkFactory
from thebot.notifications.models import Notification, NotificationPreference

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def inbox(dbsession, kind=None):
    """{user id: [notification, ...]} of the lesson notifications stored."""
    stmt = select(Notification).where(Notification.kind.like("lessons.%"))
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    found: dict[int, list[Notification]] = {}
    for n in dbsession.scalars(stmt.order_by(Notification.id)):
        found.setdefault(n.user_id, []).append(n)
    return found


def emails(broker):
    if "email" not in broker.queues:
        return []
    return [dramatiq.Message.decode(data) for data in list(broker.queues["email"].queue)]


def test_booking_tells_the_student_and_parents_but_not_the_booker(
    testapp, world, auth_headers, dbsession, broker
):
    res = testapp.post_json(
        LESSONS,
        body(world, at(hours=30), meeting_link="https://meet.google.com/abc-defg-hij"),
        headers=auth_headers(world.teacher),
    )
    told = inbox(dbsession, "lessons.booked")
    assert set(told) == {world.student.id, world.parent.id}
    [note] = told[world.student.id]
    assert note.title == f"Lesson booked: {world.subject.name}"
    assert note.data["lesson_id"] == res.json["id"] and note.data["event"] == "booked"
    # No preferences: the lesson's own zone (Europe/Moscow, UTC+3).
    assert "Wed 02 Dec 2026, 18:00-19:00 (Europe/Moscow)" in note.body
    assert "Erin Teacher" in note.body and "Sam Student" in note.body
    assert "https://meet.google.com/abc-defg-hij" in note.body
    recipients = sorted(address for m in emails(broker) for address in m.args[0])
    assert recipients == sorted([world.student.email, world.parent.email])


def test_a_tutors_booking_tells_the_teacher_too(testapp, world, auth_headers, dbsession):
    testapp.post_json(LESSONS, body(world), headers=auth_headers(world.tutor))
    assert set(inbox(dbsession)) == {world.teacher.id, world.student.id, world.parent.id}


def test_times_are_in_the_recipients_time_zone(testapp, world, auth_headers, dbsession):
    dbsession.add(
        NotificationPreference(user_id=world.parent.id, channels={}, timezone="Asia/Tokyo")
    )
    dbsession.flush()
    testapp.post_json(LESSONS, body(world, at(hours=30)), headers=auth_headers(world.admin))
    told = inbox(dbsession)
    assert "Thu 03 Dec 2026, 00:00-01:00 (Asia/Tokyo)" in told[world.parent.id][0].body
    assert "(Europe/Moscow)" in told[world.student.id][0].body


def test_every_parent_is_told_and_inactive_ones_are_skipped(
    testapp, world, auth_headers, dbsession, make_user
):
    second = make_user("parent")
    gone = make_user("parent", is_active=False)
    ParentLinkFactory(student=world.student, parent=second)
    ParentLinkFactory(student=world.student, parent=gone)
    testapp.post_json(LESSONS, body(world), headers=auth_headers(world.admin))
    assert set(inbox(dbsession)) == {
        world.teacher.id,
        world.student.id,
        world.parent.id,
        second.id,
    }


def test_a_reschedule_says_when_it_was_and_is(testapp, world, auth_headers, dbsession):
    row = lesson(world, at(hours=30), timezone="UTC")
    testapp.post_json(
        item(row.id, "reschedule"),
        {"start": at(hours=54).isoformat(), "end": at(hours=55).isoformat()},
        headers=auth_headers(world.tutor),
    )
    told = inbox(dbsession, "lessons.rescheduled")
    assert set(told) == {world.teacher.id, world.student.id, world.parent.id}
    text = told[world.student.id][0].body
    assert "is now Thu 03 Dec 2026, 15:00-16:00 (UTC)" in text
    assert "(was Wed 02 Dec 2026, 15:00-16:00 (UTC))" in text
    assert told[world.student.id][0].title.startswith("Lesson moved")


def test_a_cancellation_gives_the_reason(testapp, world, auth_headers, dbsession):
    row = lesson(world, at(hours=30), status="confirmed")
    testapp.post_json(
        item(row.id, "cancel"), {"reason": "Teacher ill"}, headers=auth_headers(world.teacher)
    )
    told = inbox(dbsession, "lessons.cancelled")
    assert set(told) == {world.student.id, world.parent.id}
    assert "Reason: Teacher ill" in told[world.parent.id][0].body
    assert told[world.parent.id][0].data["status"] == "cancelled"


def test_refused_changes_tell_nobody_and_send_no_email(
    testapp, world, auth_headers, dbsession, broker
):
    lesson(world, at(hours=30))
    headers = auth_headers(world.teacher)
    testapp.post_json(LESSONS, body(world, at(hours=30)), headers=headers, status=409)
    row = lesson(world, at(hours=1), teacher_id=world.other_teacher.id)
    testapp.post(item(row.id, "cancel"), headers=auth_headers(world.admin))  # admin: allowed
    before = len(emails(broker))
    testapp.post(item(row.id, "cancel"), headers=auth_headers(world.admin), status=409)
    assert len(emails(broker)) == before
    assert set(inbox(dbsession, "lessons.booked")) == set()


def test_confirming_completing_and_editing_are_not_announced(
    testapp, world, auth_headers, dbsession
):
    row = lesson(world, at(minutes=-5))
    testapp.post(item(row.id, "confirm"), headers=auth_headers(world.student))
    testapp.post(item(row.id, "complete"), headers=auth_headers(world.teacher))
    other = lesson(world, at(hours=30))
    testapp.patch_json(item(other.id), {"description": "x"}, headers=auth_headers(world.teacher))
    assert inbox(dbsession) == {}


def test_a_booking_is_announced_as_lesson_changed_after_commit(
    app, testapp, world, auth_headers, dbsession
):
    """The view records ``LessonChanged``; the notifications above are its subscriber's."""
    from thebot.scheduling.events import LessonChanged

    seen: list[LessonChanged] = []
    app.registry.registerHandler(seen.append, (LessonChanged,))
    try:
        res = testapp.post_json(
            LESSONS, body(world, at(hours=30)), headers=auth_headers(world.teacher)
        )
    finally:
        app.registry.unregisterHandler(seen.append, (LessonChanged,))
    [event] = seen
    assert (event.name, event.lesson_id, event.change) == (
        "lesson.changed",
        res.json["id"],
        "booked",
    )
    assert event.actor_id == world.teacher.id
    assert event.user_ids == tuple(sorted({world.teacher.id, world.student.id}))
