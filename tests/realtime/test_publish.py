"""Publishing: real-time events leave through the outbox after commit, and only then."""

from __future__ import annotations

import time
from typing import Any

import pytest
from realtime_support import Flagged, Pinged, Quiet
from rt_helpers import count_outbox

from thebot.events import record


def committed(rt_app: Any, *events: Any, fail: bool = False) -> None:
    """Record ``events`` on a plain session of the app and commit (or roll back)."""
    session = rt_app.registry["dbsession_factory"](info={"registry": rt_app.registry})
    try:
        for event in events:
            record(session, event)
        if fail:
            session.rollback()
        else:
            session.commit()
    finally:
        session.close()


def since() -> str:
    return f"{int(time.time() * 1000) - 5000}-0"


def stream(rt_app: Any, user_id: int, after: str) -> list[Any]:
    import asyncio

    hub = rt_app.registry["realtime_hub"]
    return asyncio.run(hub.read(user_id, after, 1000, seen=False))


@pytest.fixture
def user_id(new_user: Any, clean_redis: None) -> int:
    return new_user()[0].id


def test_a_committed_event_reaches_the_hub_and_leaves_no_outbox_row(rt_app, user_id):
    start = since()
    before = count_outbox(rt_app)
    committed(rt_app, Pinged((user_id,), "hello"), Flagged((user_id,)))
    entries = stream(rt_app, user_id, start)
    assert [(e.type, e.data) for e in entries] == [
        ("test.pinged", f'{{"to":[{user_id}],"text":"hello"}}'),
        ("test.flagged", f'{{"to":[{user_id}]}}'),
    ]
    assert count_outbox(rt_app) == before


def test_an_aborted_transaction_publishes_nothing(rt_app, user_id):
    start = since()
    committed(rt_app, Pinged((user_id,), "never"), fail=True)
    assert stream(rt_app, user_id, start) == []


def test_events_not_marked_real_time_are_not_published(rt_app, user_id):
    start = since()
    committed(rt_app, Quiet((user_id,)))
    assert stream(rt_app, user_id, start) == []


def test_lesson_changes_are_real_time(rt_app):
    from thebot.realtime.directives import is_realtime
    from thebot.scheduling.events import LessonChanged

    assert is_realtime(rt_app.registry, LessonChanged(teacher_id=1, student_id=2, lesson_id=3))


def test_when_the_hub_is_down_the_event_waits_in_the_outbox_then_the_actor_publishes_it(
    rt_app, user_id, monkeypatch
):
    from thebot.realtime import publish
    from thebot.tasks import outbox

    hub = rt_app.registry["realtime_hub"]
    start = since()
    before = count_outbox(rt_app)

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("hub unreachable")

    monkeypatch.setattr(hub, "publish", down)
    committed(rt_app, Pinged((user_id,), "later"))
    assert count_outbox(rt_app) == before + 1
    monkeypatch.undo()
    assert stream(rt_app, user_id, start) == []

    # The outbox relay hands the row to the broker; the worker runs realtime.publish.
    broker = rt_app.registry["task_broker"]
    broker.flush_all()
    outbox.relay(rt_app.registry)
    assert count_outbox(rt_app) == before
    message = broker.queues["default"].get_nowait()
    import dramatiq

    actor = rt_app.registry["task_actors"][publish.ACTOR]
    actor.fn(*dramatiq.Message.decode(message).args)
    entries = stream(rt_app, user_id, start)
    assert [e.type for e in entries] == ["test.pinged"]
    # A second delivery of the same message is skipped by the hub (same uid).
    actor.fn(*dramatiq.Message.decode(message).args)
    assert len(stream(rt_app, user_id, start)) == 1


def test_a_directive_rejects_reserved_or_malformed_action_names():
    from pyramid.config import Configurator

    from thebot.realtime.directives import add_realtime_action

    config = Configurator()
    config.add_directive("add_realtime_action", add_realtime_action)
    for name in ("ping", "resume", "Bad Name", ""):
        with pytest.raises(ValueError):
            config.add_realtime_action(name, lambda request, data: None)
