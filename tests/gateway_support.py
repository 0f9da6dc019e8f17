"""Shared set-up of the end-to-end tests through the real-time gateway outside
``tests/realtime``: an app with its own engine on a scratch database (the gateway's worker
threads need committed rows), a gateway thread on a free port, a teacher with a student
and an outsider (committed, with tokens), and the frame helpers of a socket client."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def own_app(make_app: Any, scratch_database_url: str) -> Iterator[Any]:
    app = make_app(
        own_engine=True,
        database_url=scratch_database_url,
        auto_migrate="true",
        rate_limit_enabled="false",
    )
    yield app
    app.registry["dbengine"].dispose()


@pytest.fixture
def gateway(own_app: Any) -> Iterator[Any]:
    from thebot.realtime.gateway.runner import GatewayThread

    hub = own_app.registry["realtime_hub"]
    if hub.kind == "redis":
        for key in hub.client.scan_iter(hub.prefix + "*"):
            hub.client.delete(key)
    thread = GatewayThread(own_app.registry, "127.0.0.1:0").start()
    yield thread
    thread.stop()


def teacher_student_outsider(app: Any, label: str) -> dict[str, Any]:
    """A teacher and their student (an active enrollment in a new subject) and an outsider
    (another student), committed: ``{"teacher"|"student"|"other": (id, headers),
    "subject": id}``, the headers carrying a one-hour token."""
    from thebot.accounts.credentials.tokens import issue_token
    from thebot.accounts.models import StudentProfile, User
    from thebot.catalog.models import Enrollment, Subject

    tag = uuid.uuid4().hex[:8]
    with app.registry["dbsession_factory"]() as session, session.begin():
        made = {}
        for name, role in (("teacher", "teacher"), ("student", "student"), ("other", "student")):
            user = User(username=f"{name}-{tag}", email=f"{name}-{tag}@example.com", role=role)
            session.add(user)
            session.flush()
            if role == "student":
                session.add(StudentProfile(user_id=user.id))
            made[name] = user
        subject = Subject(name=f"{label} {tag}")
        session.add(subject)
        session.flush()
        session.add(
            Enrollment(
                teacher_id=made["teacher"].id,
                student_id=made["student"].id,
                subject_id=subject.id,
                status="active",
            )
        )
        result: dict[str, Any] = {"subject": subject.id}
        for name, user in made.items():
            key = issue_token(session, user, dt.timedelta(hours=1))[0]
            result[name] = (user.id, {"Authorization": f"Token {key}"})
        return result


def ws_url(gateway: Any) -> str:
    return f"ws://127.0.0.1:{gateway.port}/ws/"


def run(coro: Any, timeout: float = 30) -> Any:
    """Drive an async test body on a fresh loop (no pytest-asyncio)."""
    return asyncio.run(asyncio.wait_for(coro, timeout=timeout))


async def receive(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def frame_of(ws: Any, wanted: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame of type ``wanted`` (other events, e.g. notifications, skipped)."""
    while True:
        frame = await receive(ws, timeout)
        if frame["type"] == wanted:
            return frame


async def nothing_of(ws: Any, prefix: str, wait: float = 0.5) -> None:
    """No frame whose type starts with ``prefix`` arrives within ``wait`` seconds."""
    try:
        while True:
            frame = await receive(ws, wait)
            assert not frame["type"].startswith(prefix), frame
    except asyncio.TimeoutError:
        return
