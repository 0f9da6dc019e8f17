"""The hub: per-user ordered streams, replay within the window, resync beyond it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from testenv import TEST_REDIS_PREFIX, TEST_REDIS_URL
from thebot.realtime.hub import Entry, MemoryHub, Resync, format_id, parse_id


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def hub(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        yield MemoryHub(3600)
        return
    if not TEST_REDIS_URL:
        pytest.skip("needs THEBOT_TEST_REDIS_URL")
    from thebot.realtime.redis_hub import RedisHub

    hub = RedisHub(TEST_REDIS_URL, 3600, key_prefix=TEST_REDIS_PREFIX)
    for key in hub.client.scan_iter(hub.prefix + "*"):
        hub.client.delete(key)
    yield hub
    hub.close()


def read(hub: Any, user_id: int, after: str, limit: int = 100) -> list[Entry]:
    return asyncio.run(hub.read(user_id, after, limit))


def test_ids_parse_and_compare_as_pairs():
    assert parse_id("1700000000000-12") == (1700000000000, 12)
    assert parse_id("17-2") > parse_id("17-10") is False or parse_id("17-10") > parse_id("17-2")
    for bad in ("", "x", "1-", "-1", "1-2-3", None, 5, "1" * 50 + "-0"):
        assert parse_id(bad) is None
    assert format_id((5, 6)) == "5-6"


def test_each_user_gets_an_increasing_id_and_reads_only_their_events(hub):
    start = f"{int(time.time() * 1000) - 1000}-0"
    first = hub.publish([1, 2], "t.a", '{"n":1}', time.time(), "u1")
    second = hub.publish([1], "t.b", '{"n":2}', time.time(), "u2")
    assert set(first) == {1, 2} and set(second) == {1}
    assert parse_id(second[1]) > parse_id(first[1])
    ones = read(hub, 1, start)
    assert [(e.type, e.data) for e in ones] == [("t.a", '{"n":1}'), ("t.b", '{"n":2}')]
    assert [e.type for e in read(hub, 2, start)] == ["t.a"]
    assert read(hub, 1, first[1])[0].id == second[1]
    assert read(hub, 1, second[1]) == []


def test_a_uid_is_published_once(hub):
    start = f"{int(time.time() * 1000) - 1000}-0"
    assert hub.publish([1], "t", "{}", time.time(), "same")
    assert hub.publish([1], "t", "{}", time.time(), "same") == {}
    assert len(read(hub, 1, start)) == 1


def test_resume_beyond_what_can_be_replayed_is_a_resync(hub):
    ids = hub.publish([1], "t", "{}", time.time(), "x1")
    old = f"{int((time.time() - 7200) * 1000)}-0"
    with pytest.raises(Resync) as exc:
        read(hub, 1, old)
    assert exc.value.reason == "expired"
    future = f"{int((time.time() + 60) * 1000)}-0"
    with pytest.raises(Resync) as exc:
        read(hub, 1, future)
    assert exc.value.reason == "unknown_id"
    with pytest.raises(Resync) as exc:
        read(hub, 1, "nonsense")
    assert exc.value.reason == "unknown_id"
    for n in range(3):
        hub.publish([1], "t", "{}", time.time(), f"more{n}")
    with pytest.raises(Resync) as exc:
        read(hub, 1, ids[1], limit=2)
    assert exc.value.reason == "too_many"


def test_memory_hub_forgets_events_older_than_the_window():
    clock = Clock()
    hub = MemoryHub(60, clock=clock)
    first = hub.publish([1], "t", "{}", clock.now, "a")[1]
    clock.now += 30
    second = hub.publish([1], "t", "{}", clock.now, "b")[1]
    assert [e.id for e in hub.read_now(1, first, 10)] == [second]
    clock.now += 45  # ``first`` is now 75 s old
    with pytest.raises(Resync):
        hub.read_now(1, first, 10)
    assert hub.read_now(1, second, 10) == []


def test_listeners_hear_publications_in_id_order():
    hub = MemoryHub(60)
    heard: list[Any] = []

    async def scenario() -> None:
        await hub.start(heard.append, lambda: None)
        for n in range(50):
            await asyncio.to_thread(hub.publish, [1, 2], "t", str(n), time.time(), f"o{n}")
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert [p.data for p in heard] == [str(n) for n in range(50)]
    keys = [parse_id(p.ids[1]) for p in heard]
    assert keys == sorted(keys)


def test_a_frame_is_the_entry_as_json():
    import json

    entry = Entry("5-1", "lesson.changed", '{"lesson_id":3}', 0.0)
    assert json.loads(entry.frame()) == {
        "id": "5-1",
        "type": "lesson.changed",
        "data": {"lesson_id": 3},
    }


def test_publish_many_appends_in_order_once_per_uid(hub):
    """The relay hands a transaction's events over at once (one pipeline on Redis)."""
    start = f"{int(time.time() * 1000) - 1000}-0"
    hub.publish([2], "t.before", "{}", time.time(), "m0")
    items = [
        ([1, 2], "t.a", '{"n":1}', time.time(), "m1"),
        ([], "t.none", "{}", time.time(), "m2"),
        ([1], "t.b", '{"n":2}', time.time(), "m3"),
        ([2], "t.c", '{"n":3}', time.time(), "m0"),  # published before: skipped
    ]
    ids = hub.publish_many(items)
    assert [set(found) for found in ids] == [{1, 2}, set(), {1}, set()]
    assert parse_id(ids[2][1]) > parse_id(ids[0][1])
    assert [e.type for e in read(hub, 1, start)] == ["t.a", "t.b"]
    assert [e.type for e in read(hub, 2, start)] == ["t.before", "t.a"]
    assert hub.publish_many([]) == []


def test_redis_publish_many_loads_the_script_when_redis_does_not_know_it(hub, monkeypatch):
    if hub.kind != "redis":
        pytest.skip("Redis only")
    import uuid

    from thebot.realtime import redis_hub

    # A script text Redis has never seen, as after a restart (no SCRIPT FLUSH: a shared server)
    monkeypatch.setattr(redis_hub, "PUBLISH", redis_hub.PUBLISH + f"-- {uuid.uuid4().hex}\n")
    fresh = redis_hub.RedisHub(hub.url, 3600, key_prefix=hub.prefix[: -len(redis_hub.PREFIX)])
    assert not fresh.client.script_exists(fresh._script.sha)[0]
    start = f"{int(time.time() * 1000) - 1000}-0"
    items = [([7], "t", f'{{"n":{n}}}', time.time(), f"f{n}") for n in range(3)]
    assert [set(found) for found in fresh.publish_many(items)] == [{7}, {7}, {7}]
    assert [e.data for e in read(hub, 7, start)] == ['{"n":0}', '{"n":1}', '{"n":2}']
    fresh.close()
