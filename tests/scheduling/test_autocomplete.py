"""Lessons that ended while confirmed are completed by a periodic actor (time-machine)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from lessons_support import NOW, at, lesson, make_world
from sqlalchemy import select

from thebot.scheduling.lessons.states import complete_finished_lessons
from thebot.scheduling.lessons.tasks import COMPLETE_CRON, COMPLETE_TASK
from thebot.scheduling.models import LessonHistory
from thebot.tasks.periodic import PeriodicTask


@pytest.fixture
def world(make_user):
    with time_machine.travel(NOW, tick=False):
        yield make_world(make_user)


def history(dbsession, row):
    stmt = select(LessonHistory).where(LessonHistory.lesson_id == row.id)
    return list(dbsession.scalars(stmt))


def test_the_actor_is_scheduled_every_five_minutes(app):
    assert PeriodicTask(COMPLETE_TASK, cron=COMPLETE_CRON) in app.registry["periodic_tasks"]
    assert COMPLETE_CRON == "*/5 * * * *"
    assert COMPLETE_TASK in app.registry["task_actors"]


def test_confirmed_lessons_that_ended_are_completed_by_the_system(app, world, dbsession):
    ended = lesson(world, at(hours=1), status="confirmed")
    running = lesson(
        world, at(hours=1, minutes=30), status="confirmed", student_id=world.other_student.id
    )
    pending = lesson(world, at(minutes=-30), status="pending", teacher_id=world.other_teacher.id)
    cancelled = lesson(world, at(minutes=-30), status="cancelled")
    later = lesson(world, at(hours=30), status="confirmed")
    actor = app.registry["task_actors"][COMPLETE_TASK]
    with time_machine.travel(at(hours=2), tick=False):
        assert actor.fn() == 1  # the real actor body, in its own transaction
    for row in (ended, running, pending, cancelled, later):
        dbsession.refresh(row)
    assert ended.status == "completed" and ended.sequence == 1
    [entry] = history(dbsession, ended)
    assert entry.action == "completed" and entry.actor_id is None
    assert entry.old_values == {"status": "confirmed"}
    assert entry.new_values == {"status": "completed"}
    assert running.status == "confirmed"  # ends at 11:30, it is 11:00
    assert pending.status == "pending"  # never confirmed: left for people to sort out
    assert cancelled.status == "cancelled" and later.status == "confirmed"
    assert history(dbsession, running) == history(dbsession, pending) == []


def test_a_lesson_is_completed_exactly_at_its_end_and_not_before(world, dbsession):
    row = lesson(world, at(hours=1), minutes=45, status="confirmed")
    end = row.end_at
    assert complete_finished_lessons(dbsession, end - dt.timedelta(microseconds=1)) == 0
    assert row.status == "confirmed"
    assert complete_finished_lessons(dbsession, end) == 1
    assert row.status == "completed"


def test_running_twice_completes_once(world, dbsession):
    row = lesson(world, at(hours=1), status="confirmed")
    assert complete_finished_lessons(dbsession, at(hours=3)) == 1
    assert complete_finished_lessons(dbsession, at(hours=3)) == 0
    assert len(history(dbsession, row)) == 1


def test_many_lessons_are_completed_in_batches(world, dbsession):
    rows = [lesson(world, at(hours=-100 + 2 * n), status="confirmed") for n in range(7)]
    assert complete_finished_lessons(dbsession, NOW, batch=3) == 7
    assert {r.status for r in rows} == {"completed"}


def test_the_worker_runs_the_actor(app, make_user, dbsession, broker, worker):
    # Real time here: the worker's own clock must run.
    world = make_world(make_user)
    now = dt.datetime.now(dt.timezone.utc)
    row = lesson(world, now - dt.timedelta(hours=2), status="confirmed")
    app.registry["task_actors"][COMPLETE_TASK].send()
    broker.join("default", fail_fast=True)
    worker.join()
    dbsession.refresh(row)
    assert row.status == "completed"


def test_an_automatic_completion_is_announced_as_lesson_changed(app, world, dbsession):
    from thebot.scheduling.events import LessonChanged

    row = lesson(world, at(hours=1), status="confirmed")
    seen: list[LessonChanged] = []
    app.registry.registerHandler(seen.append, (LessonChanged,))
    try:
        assert complete_finished_lessons(dbsession, at(hours=3)) == 1
        dbsession.commit()
    finally:
        app.registry.unregisterHandler(seen.append, (LessonChanged,))
    [event] = seen
    assert (event.lesson_id, event.change, event.actor_id) == (row.id, "", None)
