"""Two simultaneous bookings of overlapping slots produce exactly one lesson.

The app here is NOT bound to the per-test connection: it has its own engine on a scratch
database (a SQLite file, or a PostgreSQL database created for the test next to
``THEBOT_TEST_DATABASE_URL``), migrated at start-up, with committed seed data. Two threads
each send a real WSGI request at the same moment (a barrier).

To make the race certain rather than lucky, each booking waits after its conflict check for
the other one to reach the same point (a second barrier, with a timeout). Without a lock
both get there and both insert, so the test would see two lessons (the last test shows it
does, on PostgreSQL, with the lock switched off). With the lock the second request is held
before its check, the first one's wait times out, it inserts and commits, and the second
then finds the new lesson: one 201 and one 409.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from typing import Any

import pytest
import webtest
from sqlalchemy import func, select

from testenv import PG as ON_POSTGRESQL
from thebot.accounts.credentials.tokens import issue_token
from thebot.accounts.models import StudentProfile, User
from thebot.catalog.models import Enrollment, Subject
from thebot.scheduling import conflicts
from thebot.scheduling.lessons import service as lessons
from thebot.scheduling.models import Lesson

CHECK_WAIT = 1.0  # seconds a booking waits after its check for the other one to catch up


@pytest.fixture(scope="module")
def own_app(make_app, scratch_database_url):
    app = make_app(
        own_engine=True,
        database_url=scratch_database_url,
        auto_migrate="true",
        rate_limit_enabled="false",
    )
    yield app
    app.registry["dbengine"].dispose()


def seed(app: Any) -> dict[str, Any]:
    """Two teachers, two students: each teacher teaches both, in a subject of their own."""
    tag = uuid.uuid4().hex[:8]
    with app.registry["dbsession_factory"]() as session, session.begin():

        def person(role: str, name: str) -> User:
            user = User(username=f"{name}-{tag}", email=f"{name}-{tag}@example.com", role=role)
            session.add(user)
            session.flush()
            if role == "student":
                session.add(StudentProfile(user_id=user.id))
            return user

        teachers = [person("teacher", "t1"), person("teacher", "t2")]
        students = [person("student", "s1"), person("student", "s2")]
        subjects = {}
        for teacher in teachers:
            subject = Subject(name=f"Physics {teacher.username}")
            session.add(subject)
            session.flush()
            subjects[teacher.id] = subject.id
            for student in students:
                session.add(
                    Enrollment(
                        teacher_id=teacher.id,
                        student_id=student.id,
                        subject_id=subject.id,
                        status="active",
                    )
                )
        keys = {
            u.id: issue_token(session, u, dt.timedelta(hours=1))[0] for u in teachers + students
        }
        return {
            "teachers": [t.id for t in teachers],
            "students": [s.id for s in students],
            "subjects": subjects,
            "keys": keys,
        }


def booking(world: dict[str, Any], teacher: int, student: int, start: dt.datetime) -> dict:
    return {
        "teacher_id": teacher,
        "student_id": student,
        "subject_id": world["subjects"][teacher],
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=1)).isoformat(),
        "timezone": "UTC",
    }


def race(app: Any, requests: list[tuple[str, dict]]) -> list[int]:
    """Send each (token, body) from its own thread at the same moment; their statuses."""
    start = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)
    errors: list[BaseException] = []

    def send(index: int, key: str, data: dict) -> None:
        client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "testserver"})
        try:
            start.wait(timeout=10)
            res = client.post_json(
                "/api/scheduling/lessons/",
                data,
                headers={"Authorization": f"Token {key}"},
                expect_errors=True,
            )
            statuses[index] = res.status_int
        except BaseException as exc:  # surfaced by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=send, args=(i, key, data))
        for i, (key, data) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


@pytest.fixture
def held_after_check(monkeypatch):
    """Each booking waits after its conflict check for the other to get there too."""
    gate = threading.Barrier(2)
    real = lessons.find_conflicts

    def find_then_wait(*args: Any, **kwargs: Any) -> list[Lesson]:
        found = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=CHECK_WAIT)
        return found

    monkeypatch.setattr(lessons, "find_conflicts", find_then_wait)
    return gate


def lessons_of(app: Any, **where: int) -> int:
    with app.registry["dbsession_factory"]() as session:
        stmt = select(func.count()).select_from(Lesson).filter_by(**where)
        return session.scalar(stmt)


def when() -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    return now + dt.timedelta(days=2)


def test_two_bookings_of_one_teacher_give_one_lesson(own_app, held_after_check):
    world = seed(own_app)
    (t1, _t2), (s1, s2) = world["teachers"], world["students"]
    start = when()
    # Different students, the same teacher, overlapping by half an hour.
    statuses = race(
        own_app,
        [
            (world["keys"][t1], booking(world, t1, s1, start)),
            (world["keys"][t1], booking(world, t1, s2, start + dt.timedelta(minutes=30))),
        ],
    )
    assert sorted(statuses) == [201, 409]
    assert lessons_of(own_app, teacher_id=t1) == 1


def test_two_bookings_of_one_student_give_one_lesson(own_app, held_after_check):
    world = seed(own_app)
    (t1, t2), (s1, _s2) = world["teachers"], world["students"]
    start = when()
    # Different teachers (each booking their own lesson), the same student.
    statuses = race(
        own_app,
        [
            (world["keys"][t1], booking(world, t1, s1, start)),
            (world["keys"][t2], booking(world, t2, s1, start + dt.timedelta(minutes=15))),
        ],
    )
    assert sorted(statuses) == [201, 409]
    assert lessons_of(own_app, student_id=s1) == 1


def test_bookings_of_disjoint_pairs_do_not_block_each_other(own_app):
    world = seed(own_app)
    (t1, t2), (s1, s2) = world["teachers"], world["students"]
    start = when()
    statuses = race(
        own_app,
        [
            (world["keys"][t1], booking(world, t1, s1, start)),
            (world["keys"][t2], booking(world, t2, s2, start)),
        ],
    )
    assert statuses == [201, 201]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite's BEGIN IMMEDIATE serialises writers")
def test_without_the_lock_the_race_double_books(own_app, held_after_check, monkeypatch):
    """The harness really races: with ``lock_participants`` off, both bookings succeed."""
    monkeypatch.setattr(lessons, "lock_participants", lambda *a, **k: None)
    assert conflicts.lock_participants is not lessons.lock_participants
    world = seed(own_app)
    (t1, _t2), (s1, s2) = world["teachers"], world["students"]
    start = when()
    statuses = race(
        own_app,
        [
            (world["keys"][t1], booking(world, t1, s1, start)),
            (world["keys"][t1], booking(world, t1, s2, start)),
        ],
    )
    assert statuses == [201, 201]
    assert lessons_of(own_app, teacher_id=t1) == 2
