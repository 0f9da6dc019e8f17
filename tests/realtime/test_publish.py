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


@pytest.fixture
def batched_acks(rt_app: Any) -> Any:
    """The production path: published rows deleted in batches by a thread (the tests' stub
    broker turns it off)."""
    from thebot.realtime import acks

    registry = rt_app.registry
    previous = registry.get(acks.REGISTRY_KEY)
    batched = registry[acks.REGISTRY_KEY] = acks.Acks(registry, delay=60.0)
    yield batched
    batched.flush()
    if previous is None:
        del registry[acks.REGISTRY_KEY]
    else:
        registry[acks.REGISTRY_KEY] = previous


def test_a_published_events_outbox_row_goes_with_the_next_batch(rt_app, user_id, batched_acks):
    start = since()
    before = count_outbox(rt_app)
    committed(rt_app, Pinged((user_id,), "batched"))
    # in the hub at once; the row waits for the batch (60 s here)
    assert [e.type for e in stream(rt_app, user_id, start)] == ["test.pinged"]
    assert count_outbox(rt_app) == before + 1
    assert batched_acks.flush() == 1
    assert count_outbox(rt_app) == before


def test_a_row_relayed_again_before_its_batched_delete_reaches_the_hub_once(
    rt_app, user_id, batched_acks
):
    import dramatiq

    from thebot.realtime import publish
    from thebot.tasks import outbox

    start = since()
    before = count_outbox(rt_app)
    committed(rt_app, Pinged((user_id,), "once"))
    broker = rt_app.registry["task_broker"]
    broker.flush_all()
    outbox.relay(rt_app.registry)  # the scheduler's relay catches the waiting row
    assert count_outbox(rt_app) == before
    actor = rt_app.registry["task_actors"][publish.ACTOR]
    actor.fn(*dramatiq.Message.decode(broker.queues["default"].get_nowait()).args)
    assert len(stream(rt_app, user_id, start)) == 1
    batched_acks.flush()  # deleting a row that is gone already is no error
    assert count_outbox(rt_app) == before


def test_the_batch_thread_deletes_the_rows_after_the_delay(rt_app, user_id, monkeypatch):
    import threading

    from thebot.realtime import acks

    deleted: list[list[str]] = []
    done = threading.Event()

    def record_delete(registry: Any, ids: list[str]) -> None:
        deleted.append(ids)
        if sum(map(len, deleted)) == 3:
            done.set()

    monkeypatch.setattr(acks, "delete_rows", record_delete)
    batched = acks.Acks(rt_app.registry, delay=0.01)
    batched.add(["a", "b"])
    batched.add(["c"])
    assert done.wait(5)
    assert [i for ids in deleted for i in ids] == ["a", "b", "c"]


def test_the_stub_broker_or_no_delay_deletes_in_the_committing_thread(rt_app):
    from thebot.realtime import acks

    assert acks.get_acks(rt_app.registry).delay == 0  # the tests' stub broker
    assert rt_app.registry.settings["realtime_outbox_ack_ms"] == 200
