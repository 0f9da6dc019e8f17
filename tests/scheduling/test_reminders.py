"""Lesson reminders: due 24 h and 1 h before (settings), to the teacher, the student and the
student's parents, in each one's time zone; at most once per (lesson, person, offset) even
when the actor runs twice, after a restart or on two workers at once; never for cancelled
lessons. Time is moved with time-machine."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from lessons_support import NOW, lesson, make_world
from pyramid.scripting import prepare
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import sessionmaker

from thebot.accounts.models import ParentLink, StudentProfile, User
from thebot.catalog.models import Subject
from thebot.db import WRITER
from thebot.notifications.models import Notification, NotificationPreference
from thebot.scheduling.models import Lesson, LessonReminder
from thebot.scheduling.reminders import service as reminders
from thebot.scheduling.reminders import subscribers as sending
from thebot.scheduling.reminders.tasks import REMINDERS_TASK
from thebot.tasks.periodic import PeriodicTask

pytestmark = pytest.mark.usefixtures("frozen")

UTC = dt.timezone.utc
START = NOW + dt.timedelta(days=2)  # Thursday 2026-12-03 09:00 UTC (12:00 Moscow)
DAY_BEFORE = START - dt.timedelta(hours=24)
HOUR_BEFORE = START - dt.timedelta(hours=1)


@pytest.fixture
def world(make_user):
    return make_world(make_user)


@pytest.fixture
def booked(world):
    return lesson(world, START, timezone="Europe/Moscow", meeting_link="https://meet.google.com/a")


@pytest.fixture
def run(app, dbsession, broker):
    """Run the reminder pass at ``now`` as the actor does: a prepared request, its own
    transaction (a savepoint of the test's)."""

    def go(now):
        env = prepare(registry=app.registry)
        request = env["request"]
        request.environ[WRITER] = True
        try:
            with request.tm:
                return reminders.send_due_reminders(request, now)
        finally:
            env["closer"]()

    return go


def sent(dbsession, user=None):
    stmt = select(Notification).where(Notification.kind == "lessons.reminder")
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(dbsession.scalars(stmt.order_by(Notification.id)))


def emails(broker):
    return broker.queues["email"].qsize() if "email" in broker.queues else 0


# --- when --------------------------------------------------------------------------------


def test_nothing_is_due_before_the_reminder_time(run, booked, dbsession):
    assert run(DAY_BEFORE - dt.timedelta(seconds=1)) == 0
    assert sent(dbsession) == []


def test_the_day_before_teacher_student_and_parents_are_reminded(
    run, booked, world, dbsession, make_user
):
    from factories import ParentLinkFactory

    second_parent = make_user("parent")
    ParentLinkFactory(student=world.student, parent=second_parent)
    assert run(DAY_BEFORE) == 4
    told = {n.user_id for n in sent(dbsession)}
    assert told == {world.teacher.id, world.student.id, world.parent.id, second_parent.id}
    [note] = sent(dbsession, world.student)
    assert note.data == {
        "lesson_id": booked.id,
        "start": START.isoformat(),
        "offset_minutes": 1440,
    }


def test_running_twice_or_after_a_restart_sends_once(run, booked, dbsession, broker):
    assert run(DAY_BEFORE) == 3
    mails = emails(broker)
    assert mails == 3  # lessons are an email category by default
    assert run(DAY_BEFORE) == 0  # the same worker again
    assert run(DAY_BEFORE + dt.timedelta(minutes=7)) == 0  # a restarted one, later
    assert len(sent(dbsession)) == 3 and emails(broker) == mails
    claims = dbsession.scalar(select(func.count()).select_from(LessonReminder))
    assert claims == 3


def test_the_hour_before_a_second_reminder(run, booked, world, dbsession):
    run(DAY_BEFORE)
    assert run(HOUR_BEFORE - dt.timedelta(seconds=1)) == 0
    assert run(HOUR_BEFORE) == 3
    offsets = [n.data["offset_minutes"] for n in sent(dbsession, world.teacher)]
    assert offsets == [1440, 60]
    assert "starts in 60 minutes" in sent(dbsession, world.teacher)[-1].body


def test_never_for_cancelled_lessons(run, booked, dbsession):
    run(DAY_BEFORE)
    booked.status = "cancelled"
    dbsession.flush()
    assert run(HOUR_BEFORE) == 0
    assert len(sent(dbsession)) == 3


def test_a_lesson_cancelled_before_its_first_reminder_gets_none(run, booked, dbsession):
    booked.status = "cancelled"
    dbsession.flush()
    assert run(DAY_BEFORE) == 0 and run(HOUR_BEFORE) == 0


def test_nothing_once_the_lesson_started(run, booked, dbsession):
    assert run(START) == 0
    assert run(START + dt.timedelta(minutes=1)) == 0


def test_a_late_worker_sends_one_reminder_and_claims_both(run, booked, world, dbsession):
    # The workers were down from the day before until half an hour before the lesson.
    assert run(START - dt.timedelta(minutes=30)) == 3
    [note] = sent(dbsession, world.student)
    assert note.data["offset_minutes"] == 60
    assert "starts in 30 minutes" in note.body
    assert dbsession.scalar(select(func.count()).select_from(LessonReminder)) == 6
    assert run(START - dt.timedelta(minutes=10)) == 0


def test_a_reminder_whose_time_came_before_the_booking_is_skipped(run, world, dbsession):
    soon = lesson(world, NOW + dt.timedelta(hours=3))  # booked now: the 24 h mark is past
    assert run(NOW + dt.timedelta(minutes=1)) == 0
    assert run(soon.start_at - dt.timedelta(hours=1)) == 3


def test_a_lesson_moved_later_is_reminded_again(run, booked, world, dbsession):
    assert run(DAY_BEFORE) == 3
    booked.start_at += dt.timedelta(days=2)
    booked.end_at += dt.timedelta(days=2)
    dbsession.flush()
    assert run(DAY_BEFORE + dt.timedelta(hours=1)) == 0
    assert run(booked.start_at - dt.timedelta(hours=24)) == 3
    assert run(booked.start_at - dt.timedelta(hours=24)) == 0


def test_text_is_in_each_recipients_time_zone(run, booked, world, dbsession):
    dbsession.add(NotificationPreference(user_id=world.parent.id, timezone="Asia/Tokyo"))
    dbsession.flush()
    run(DAY_BEFORE)
    subject = world.subject.name
    [parent_note] = sent(dbsession, world.parent)
    assert parent_note.title == f"Reminder: {subject} lesson tomorrow at 18:00"
    assert "Thursday 3 December 2026 at 18:00 (Asia/Tokyo)" in parent_note.body
    assert "Sam Student's" in parent_note.body and "Erin Teacher" in parent_note.body
    [student_note] = sent(dbsession, world.student)
    assert student_note.title == f"Reminder: {subject} lesson tomorrow at 12:00"
    assert "at 12:00 (Europe/Moscow)" in student_note.body
    assert "starts in 24 hours" in student_note.body
    assert "Join: https://meet.google.com/a" in student_note.body
    [teacher_note] = sent(dbsession, world.teacher)
    assert teacher_note.body.startswith(f"Your {subject} lesson with Sam Student")


def test_inactive_people_are_not_reminded(run, booked, world, dbsession):
    world.parent.is_active = False
    dbsession.flush()
    assert run(DAY_BEFORE) == 2
    assert sent(dbsession, world.parent) == []


def test_offsets_come_from_settings(app, run, booked, dbsession, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "lesson_reminder_offsets", [30])
    assert run(DAY_BEFORE) == 0 and run(HOUR_BEFORE) == 0
    assert run(START - dt.timedelta(minutes=30)) == 3
    monkeypatch.setitem(app.registry.settings, "lesson_reminder_offsets", [])
    assert run(START - dt.timedelta(minutes=1)) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1440 60", [1440, 60]), ("15,60", [60, 15]), ("", []), ([60, 60], [60])],
)
def test_offsets_setting_is_coerced(raw, expected):
    assert reminders.as_minute_offsets(raw) == expected


@pytest.mark.parametrize("raw", ["soon", "0", "-5", "1.5"])
def test_bad_offsets_stop_start_up(raw):
    from thebot.settings import ConfigurationError, load_settings

    with pytest.raises(ConfigurationError, match="LESSON_REMINDER_OFFSETS"):
        load_settings({}, environ={"LESSON_REMINDER_OFFSETS": raw})


# --- the actor ---------------------------------------------------------------------------


def test_the_actor_runs_every_minute_through_the_broker(
    app, booked, dbsession, broker, worker, frozen
):
    assert PeriodicTask(REMINDERS_TASK, seconds=60) in app.registry["periodic_tasks"]
    frozen.move_to(DAY_BEFORE)
    app.registry["task_actors"][REMINDERS_TASK].send()
    broker.join("default")
    worker.join()
    assert len(sent(dbsession)) == 3


# --- two workers at once -----------------------------------------------------------------


def test_two_workers_at_once_send_each_reminder_once(app, engine, broker, monkeypatch):
    """Real transactions on two connections (not the per-test rollback): the first worker
    holds its claims uncommitted while the second runs; the unique key makes it wait and
    then find them taken."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    # The workers' sessions: real ones on the engine (whatever earlier tests bound).
    monkeypatch.setitem(app.registry, "dbsession_factory", factory)
    suffix = "concurrent-reminders"
    with factory.begin() as session:
        users = [
            User(username=f"{role}-{suffix}", email=f"{role}-{suffix}@example.com", role=role)
            for role in ("teacher", "student", "parent")
        ]
        session.add_all(users)
        session.flush()
        teacher, student, parent = users
        session.add(StudentProfile(user_id=student.id))
        session.add(ParentLink(student_id=student.id, parent_id=parent.id))
        subject = Subject(name=f"Subject {suffix}")
        session.add(subject)
        session.flush()
        session.add(
            Lesson(
                teacher_id=teacher.id,
                student_id=student.id,
                subject_id=subject.id,
                start_at=START,
                end_at=START + dt.timedelta(hours=1),
                timezone="UTC",
                status="confirmed",
                created_at=NOW,
            )
        )
    holding, release = threading.Event(), threading.Event()
    real_notify = sending.notify  # the LessonReminderDue subscriber sends

    def slow_notify(request, user, *args, **kwargs):
        if request.environ.get("thebot.test.worker") == "A" and not holding.is_set():
            holding.set()
            release.wait(timeout=10)
        return real_notify(request, user, *args, **kwargs)

    monkeypatch.setattr(sending, "notify", slow_notify)
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(name):
        env = prepare(registry=app.registry)
        request = env["request"]
        request.environ[WRITER] = True
        request.environ["thebot.test.worker"] = name
        try:
            with request.tm:
                results[name] = reminders.send_due_reminders(request, DAY_BEFORE)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            env["closer"]()

    try:
        a = threading.Thread(target=work, args=("A",))
        a.start()
        assert holding.wait(timeout=10), f"worker A never reached a notification: {errors}"
        b = threading.Thread(target=work, args=("B",))
        b.start()
        if engine.dialect.name == "postgresql":  # wait until B really waits for A's claim
            _wait_for_a_lock_wait(engine)
        release.set()
        a.join(timeout=30)
        b.join(timeout=30)
        assert not errors, errors
        assert sorted(results.items()) == [("A", 3), ("B", 0)]
        with factory() as session:
            ids = [u.id for u in users]
            notes = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id.in_(ids), Notification.kind == "lessons.reminder")
            )
            claims = session.scalar(select(func.count()).select_from(LessonReminder))
        assert (notes, claims) == (3, 3)
    finally:
        release.set()
        with factory.begin() as session:
            session.execute(delete(User).where(User.username.like(f"%-{suffix}")))
            session.execute(delete(Subject).where(Subject.name == f"Subject {suffix}"))


def _wait_for_a_lock_wait(engine, attempts=1000):
    """Poll (up to ~10 s) until some backend waits for a lock: B blocked on A's claim."""
    pause = threading.Event()
    with engine.connect() as conn:
        for _ in range(attempts):
            waiting = conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            if waiting.scalar():
                return
            conn.rollback()
            pause.wait(0.01)
    raise AssertionError("worker B never waited for worker A's claim")


def test_each_due_reminder_is_an_event_its_subscriber_sends(app, run, booked, world):
    """The pass records ``LessonReminderDue`` per person; the notifications are its
    subscriber's, and a second pass records nothing."""
    from thebot.scheduling.events import LessonReminderDue

    seen: list[LessonReminderDue] = []
    app.registry.registerHandler(seen.append, (LessonReminderDue,))
    try:
        assert run(DAY_BEFORE) == 3
        assert run(DAY_BEFORE) == 0
    finally:
        app.registry.unregisterHandler(seen.append, (LessonReminderDue,))
    assert sorted(e.user_id for e in seen) == sorted(
        [world.teacher.id, world.student.id, world.parent.id]
    )
    event = seen[0]
    assert event.name == "lesson.reminder_due" and event.user_ids == (event.user_id,)
    assert event.payload()["lesson_id"] == booked.id
    assert event.payload()["offset_minutes"] == 1440
