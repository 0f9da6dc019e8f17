"""Both sides asking for their direct chat at the same moment get one room (PostgreSQL).

The app has its own engine on a scratch database (requests really commit). Each request
waits, after its contact check and before its lookup, for the other to get there too, so
both look the pair up before either inserts: the unique key on the ordered pair lets one
insert win; the other reads the winner's room (one 201, one 200, the same id).
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
from thebot.chat.models import ChatMember, ChatRoom
from thebot.chat.rooms import service

pytestmark = pytest.mark.skipif(not ON_POSTGRESQL, reason="a real race needs PostgreSQL")


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
    tag = uuid.uuid4().hex[:8]
    with app.registry["dbsession_factory"]() as session, session.begin():
        teacher = User(username=f"t-{tag}", email=f"t-{tag}@example.com", role="teacher")
        student = User(username=f"s-{tag}", email=f"s-{tag}@example.com", role="student")
        session.add_all([teacher, student])
        session.flush()
        session.add(StudentProfile(user_id=student.id))
        subject = Subject(name=f"Physics {tag}")
        session.add(subject)
        session.flush()
        session.add(
            Enrollment(
                teacher_id=teacher.id,
                student_id=student.id,
                subject_id=subject.id,
                status="active",
            )
        )
        keys = {
            u.id: issue_token(session, u, dt.timedelta(hours=1))[0] for u in (teacher, student)
        }
        return {"teacher": teacher.id, "student": student.id, "keys": keys}


@pytest.fixture
def held_after_check(monkeypatch):
    gate = threading.Barrier(2)
    real = service.may_start_direct

    def check_then_wait(*args: Any, **kwargs: Any) -> bool:
        allowed = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=2.0)
        return allowed

    monkeypatch.setattr(service, "may_start_direct", check_then_wait)


def test_both_sides_at_once_get_one_room(own_app, held_after_check):
    world = seed(own_app)
    pairs = [(world["teacher"], world["student"]), (world["student"], world["teacher"])]
    start = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def ask(index: int, caller: int, other: int) -> None:
        client = webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})
        start.wait(timeout=10)
        answers[index] = client.post_json(
            "/api/chat/rooms/",
            {"type": "direct", "user_id": other},
            headers={"Authorization": f"Token {world['keys'][caller]}"},
            expect_errors=True,
        )

    threads = [threading.Thread(target=ask, args=(i, *pair)) for i, pair in enumerate(pairs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_int for a in answers) == [200, 201], [a.text for a in answers]
    assert answers[0].json["id"] == answers[1].json["id"]
    with own_app.registry["dbsession_factory"]() as session:
        low, high = sorted((world["teacher"], world["student"]))
        rooms = session.scalars(
            select(ChatRoom.id).where(
                ChatRoom.direct_low_id == low, ChatRoom.direct_high_id == high
            )
        ).all()
        assert len(rooms) == 1
        members = session.scalar(
            select(func.count()).select_from(ChatMember).where(ChatMember.room_id == rooms[0])
        )
        assert members == 2
