"""Fixtures of the chat tests: a small world of people and helpers to drive the API.

The world: teacher E teaches student S in subject X (an active enrollment); tutor T is S's
tutor and P is S's parent; A is an admin. S2 (tutor T2, parent P2) is another family,
taught by teacher E2 in subject W. Nobody links the two families.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory, TeacherSubjectFactory

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROOMS = "/api/chat/rooms/"


@pytest.fixture
def frozen(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The clock stands at ``NOW``; no rate limits (the tests send many requests)."""
    monkeypatch.setitem(app.registry.settings, "rate_limit_enabled", False)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def as_(auth_headers: Callable[[Any], dict[str, str]]) -> Callable[[Any], dict[str, str]]:
    cache: dict[tuple[int, dt.date], dict[str, str]] = {}

    def headers(user: Any) -> dict[str, str]:
        key = (user.id, dt.datetime.now(UTC).date())
        if key not in cache:
            cache[key] = auth_headers(user)
        return cache[key]

    return headers


@pytest.fixture
def world(make_user: Callable[..., Any], dbsession: Any) -> SimpleNamespace:
    people: dict[str, Any] = {"A": make_user("admin")}
    for suffix in ("", "2"):
        tutor = make_user("tutor")
        student = make_user("student", profile={"tutor_id": tutor.id})
        parent = make_user("parent")
        ParentLinkFactory(student=student, parent=parent)
        people.update(
            {f"T{suffix}": tutor, f"S{suffix}": student, f"P{suffix}": parent},
            **{f"E{suffix}": make_user("teacher")},
        )
    x, w = SubjectFactory(), SubjectFactory()
    TeacherSubjectFactory(teacher_id=people["E"].id, subject_id=x.id)
    TeacherSubjectFactory(teacher_id=people["E2"].id, subject_id=w.id)
    EnrollmentFactory(student_id=people["S"].id, subject_id=x.id, teacher_id=people["E"].id)
    EnrollmentFactory(student_id=people["S2"].id, subject_id=w.id, teacher_id=people["E2"].id)
    dbsession.flush()
    return SimpleNamespace(**people, people=people, x=x, w=w)


@pytest.fixture
def chat(
    testapp: Any,
    as_: Callable[[Any], dict[str, str]],
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> SimpleNamespace:
    """Helpers over the REST API (rate limits off)."""
    monkeypatch.setitem(app.registry.settings, "rate_limit_enabled", False)

    def direct(user: Any, other: Any, status: int | str = "*") -> Any:
        body = {"type": "direct", "user_id": other.id}
        return testapp.post_json(ROOMS, body, headers=as_(user), status=status)

    def group(user: Any, *members: Any, name: str = "Study group", status: Any = 201) -> Any:
        body = {"type": "group", "name": name, "member_ids": [m.id for m in members]}
        return testapp.post_json(ROOMS, body, headers=as_(user), status=status)

    def send(user: Any, room_id: int, text: str = "Hello", status: Any = 201, **extra: Any) -> Any:
        url = f"{ROOMS}{room_id}/messages/"
        return testapp.post_json(url, {"text": text, **extra}, headers=as_(user), status=status)

    def history(user: Any, room_id: int, status: Any = 200, **query: Any) -> Any:
        url = f"{ROOMS}{room_id}/messages/"
        return testapp.get(url, params=query, headers=as_(user), status=status)

    def room(user: Any, room_id: int, status: Any = 200) -> Any:
        return testapp.get(f"{ROOMS}{room_id}/", headers=as_(user), status=status)

    def rooms(user: Any, **query: Any) -> Any:
        return testapp.get(ROOMS, params=query, headers=as_(user)).json["items"]

    def read(user: Any, room_id: int, message_id: int, status: Any = 200) -> Any:
        url = f"{ROOMS}{room_id}/read/"
        return testapp.post_json(url, {"message_id": message_id}, headers=as_(user), status=status)

    def get(path: str, user: Any, status: Any = 200, **query: Any) -> Any:
        return testapp.get(path, params=query, headers=as_(user), status=status)

    return SimpleNamespace(
        get=get,
        testapp=testapp,
        as_=as_,
        direct=direct,
        group=group,
        send=send,
        history=history,
        room=room,
        rooms=rooms,
        read=read,
    )
