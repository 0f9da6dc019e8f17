"""``notify()``: in-app notification stored, email enqueued after commit per preferences."""

from __future__ import annotations

import datetime as dt
import os

import dramatiq
import pytest
import time_machine
from pyramid.scripting import prepare
from sqlalchemy import select

from thebot.accounts.models import User
from thebot.notifications.models import Notification, NotificationPreference
from thebot.notifications.service import (
    EMAIL_FOOTER,
    notify,
    notify_many,
    quiet_hours_delay,
    update_preferences,
)

UTC = dt.timezone.utc


@pytest.fixture
def request_(app, dbsession):
    """A prepared request (as actors get), its sessions on the test's connection."""
    env = prepare(registry=app.registry)
    yield env["request"]
    env["closer"]()


def emails(broker, queue="email"):
    """The messages waiting on ``queue``, left in place (the broker fixture flushes them)."""
    return [dramatiq.Message.decode(data) for data in list(broker.queues[queue].queue)]


def stored(dbsession, user):
    stmt = select(Notification).where(Notification.user_id == user.id)
    return list(dbsession.execute(stmt).scalars())


def test_notify_stores_in_app_and_emails_only_after_commit(request_, broker, dbsession, make_user):
    user = make_user("student", email="pupil@example.com")
    with request_.tm:
        notification = notify(
            request_,
            user,
            "lessons.cancelled",
            "Lesson cancelled",
            "Maths on Monday is off.",
            data={"lesson_id": 7},
        )
        assert notification.id is not None
        assert broker.queues["email"].qsize() == 0  # not before the commit
    [message] = emails(broker)
    assert message.actor_name == "notifications.send_email"
    assert message.args == (
        ["pupil@example.com"],
        "Lesson cancelled",
        "Maths on Monday is off." + EMAIL_FOOTER,
    )
    [row] = stored(dbsession, user)
    assert (row.kind, row.title, row.data, row.read_at) == (
        "lessons.cancelled",
        "Lesson cancelled",
        {"lesson_id": 7},
        None,
    )


def test_an_aborted_transaction_stores_and_sends_nothing(request_, broker, dbsession, make_user):
    user = make_user("student")
    request_.tm.begin()
    notify(request_, user, "lessons.cancelled", "Lesson cancelled")
    request_.tm.abort()
    assert broker.queues["email"].qsize() == 0
    assert stored(dbsession, user) == []


def test_email_switched_off_for_the_category_keeps_in_app(request_, broker, dbsession, make_user):
    user = make_user("parent")
    update_preferences(dbsession, user.id, {"categories": {"reports": {"email": False}}})
    with request_.tm:
        assert notify(request_, user, "reports.sent", "New report") is not None
        notify(request_, user, "lessons.moved", "Lesson moved")  # other categories unaffected
    assert [m.args[1] for m in emails(broker)] == ["Lesson moved"]
    assert len(stored(dbsession, user)) == 2


def test_in_app_switched_off_still_emails(request_, broker, dbsession, make_user):
    user = make_user("teacher")
    update_preferences(dbsession, user.id, {"categories": {"assignments": {"in_app": False}}})
    with request_.tm:
        assert notify(request_, user, "assignments.submitted", "Homework handed in") is None
    assert len(emails(broker)) == 1
    assert stored(dbsession, user) == []


def test_email_is_off_by_default_for_minor_categories(request_, broker, dbsession, make_user):
    user = make_user("student")
    with request_.tm:
        notify(request_, user, "materials.added", "New material")
    assert emails(broker) == []
    assert len(stored(dbsession, user)) == 1
    update_preferences(dbsession, user.id, {"categories": {"materials": {"email": True}}})
    with request_.tm:
        notify(request_, user, "materials.added", "Another material")
    assert len(emails(broker)) == 1


def test_inactive_users_are_not_notified(request_, broker, dbsession, make_user):
    user = make_user("student", is_active=False)
    with request_.tm:
        assert notify(request_, user, "lessons.cancelled", "Lesson cancelled") is None
    assert emails(broker) == [] and stored(dbsession, user) == []


def test_programming_errors_are_loud(request_, make_user):
    user = make_user("student")
    with pytest.raises(ValueError, match="unknown category"):
        notify(request_, user, "gossip.new", "Psst")
    with pytest.raises(TypeError):
        notify(request_, user, "lessons.moved", "Moved", data={"when": object()})


def test_long_titles_are_shortened_to_fit(request_, dbsession, make_user):
    user = make_user("student")
    with request_.tm:
        notification = notify(request_, user, "system.announcement", "x" * 500)
    assert len(notification.title) == 200 and notification.title.endswith("…")


def test_notify_many_stores_one_each_in_a_few_batched_inserts(request_, dbsession, count_queries):
    """1,205 users: a statement per 1,000 rows at most, not per row, and each user's
    object carries the id of their own stored row."""
    users = [
        User(email=f"many{n}@example.com", username=f"many{n}", role="student")
        for n in range(1205)
    ]
    dbsession.add_all(users)
    dbsession.flush()
    users = users[7:] + users[:7]  # notification ids then differ from user ids
    with count_queries() as counted, request_.tm:
        created = notify_many(
            request_, users, "system.announcement", "Term starts", data={"n": 1}, preferences={}
        )
    inserts = [s for s in counted.statements if s.lstrip().startswith("INSERT INTO notification")]
    assert 1 <= len(inserts) <= 3  # SQLAlchemy's batches (fewer parameters on SQLite)
    rows = dbsession.execute(
        select(Notification.id, Notification.user_id).where(
            Notification.user_id.in_([u.id for u in users])
        )
    ).all()
    assert len(rows) == len(created) == 1205
    by_user = {user_id: row_id for row_id, user_id in rows}
    assert [item["id"] for item in created] == [by_user[user.id] for user in users]
    assert all(item["title"] == "Term starts" and item["is_read"] is False for item in created)
    assert all(item["data"] == {"n": 1} for item in created)


# --- quiet hours ------------------------------------------------------------------------------


def quiet(start, end, timezone):
    return NotificationPreference(
        user_id=0, channels={}, quiet_hours_start=start, quiet_hours_end=end, timezone=timezone
    )


def test_email_due_in_quiet_hours_waits_until_they_end(request_, broker, dbsession, make_user):
    user = make_user("student")
    update_preferences(
        dbsession,
        user.id,
        {
            "quiet_hours_start": dt.time(22),
            "quiet_hours_end": dt.time(7),
            "timezone": "Europe/Moscow",
        },
    )
    now = dt.datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # 23:00 in Moscow (UTC+3)
    with time_machine.travel(now, tick=False):
        with request_.tm:
            notify(request_, user, "lessons.reminder", "Lesson tomorrow")
        assert emails(broker, "email") == []
        [message] = emails(broker, "email.DQ")
    ends = dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 07:00 in Moscow
    assert message.options["eta"] == int(ends.timestamp() * 1000)
    assert message.args[1] == "Lesson tomorrow"
    assert len(stored(dbsession, user)) == 1  # the in-app notification is not delayed


def test_email_outside_quiet_hours_goes_at_once(request_, broker, dbsession, make_user):
    user = make_user("student")
    update_preferences(
        dbsession,
        user.id,
        {
            "quiet_hours_start": dt.time(22),
            "quiet_hours_end": dt.time(7),
            "timezone": "Europe/Moscow",
        },
    )
    morning = dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 13:00 in Moscow
    with time_machine.travel(morning, tick=False), request_.tm:
        notify(request_, user, "lessons.reminder", "Lesson today")
    assert len(emails(broker, "email")) == 1 and emails(broker, "email.DQ") == []


@pytest.mark.parametrize(
    ("pref", "now", "expected"),
    [
        # Over midnight, in the evening and in the early morning.
        (quiet(dt.time(22), dt.time(7), "UTC"), "2026-12-01T23:30:00", dt.timedelta(hours=7.5)),
        (quiet(dt.time(22), dt.time(7), "UTC"), "2026-12-02T06:59:00", dt.timedelta(minutes=1)),
        (quiet(dt.time(22), dt.time(7), "UTC"), "2026-12-01T22:00:00", dt.timedelta(hours=9)),
        (quiet(dt.time(22), dt.time(7), "UTC"), "2026-12-02T07:00:00", None),
        (quiet(dt.time(22), dt.time(7), "UTC"), "2026-12-01T12:00:00", None),
        # Within one day.
        (quiet(dt.time(13), dt.time(15), "UTC"), "2026-12-01T14:30:00", dt.timedelta(minutes=30)),
        (quiet(dt.time(13), dt.time(15), "UTC"), "2026-12-01T16:00:00", None),
        # New York leaves daylight saving time at 02:00 on 1 November 2026: the night from
        # 23:00 EDT to 07:00 EST lasts nine hours.
        (
            quiet(dt.time(22), dt.time(7), "America/New_York"),
            "2026-11-01T03:00:00",
            dt.timedelta(hours=9),
        ),
        (quiet(None, None, "UTC"), "2026-12-01T23:30:00", None),
    ],
)
def test_quiet_hours_delay(pref, now, expected):
    moment = dt.datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert quiet_hours_delay(pref, moment) == expected
    assert quiet_hours_delay(None, moment) is None


def test_the_email_actor_delivers_a_notification(request_, broker, worker, make_user, app):
    mail_dir = app.registry.settings["mail_dir"]
    before = set(os.listdir(mail_dir)) if os.path.isdir(mail_dir) else set()
    user = make_user("student", email="reader@example.com")
    with request_.tm:
        notify(request_, user, "account.parent_linked", "A parent was linked", "Anna is linked.")
    broker.join("email", fail_fast=True)
    worker.join()
    [new] = set(os.listdir(mail_dir)) - before
    with open(os.path.join(mail_dir, new), encoding="utf-8") as fh:
        text = fh.read()
    assert "To: reader@example.com" in text and "Subject: A parent was linked" in text
    assert "Anna is linked." in text
