"""Health tells whether background work runs: live workers and scheduler by heartbeat, and
queues whose messages wait with nobody to take them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest

from contract.validation import Contract
from testenv import TEST_REDIS_URL
from thebot.db import utcnow
from thebot.system.heartbeats import SCHEDULER, WORKER
from thebot.tasks.backlog import oldest_waiting_seconds

HEALTH = "/api/system/health/"
MINUTE_MS = 60_000


def health(testapp: Any, monitor_headers: dict[str, str]) -> dict[str, Any]:
    return testapp.get(HEALTH, headers=monitor_headers).json


def old_message(app: Any, queue: str, minutes: float, **options: Any) -> dramatiq.Message:
    """A message of an actor on ``queue``, created ``minutes`` ago."""
    actor = next(a for a in app.registry["task_actors"].values() if a.queue_name == queue)
    message = actor.message()
    stamp = int(time.time() * 1000 - minutes * MINUTE_MS)
    return message.copy(message_timestamp=stamp, options={**message.options, **options})


@pytest.fixture
def queues(broker: Any) -> Iterator[Any]:
    yield broker  # the broker fixture flushes every queue before and after


def test_without_any_process_health_is_degraded_and_says_why(testapp, monitor_headers, queues):
    body = health(testapp, monitor_headers)
    comps = body["components"]
    assert body["status"] == "degraded"
    assert comps["workers"]["status"] == "error" and comps["workers"]["live"] == 0
    assert comps["workers"]["error"] == "no live worker: no thebot-worker heartbeat"
    assert comps["scheduler"]["status"] == "error" and comps["scheduler"]["reason"] == "unserved"
    # the queue is not "ok" while nobody processes it, empty or not
    assert comps["queue"]["status"] == "error"
    assert comps["queue"]["error"].startswith("no live worker")


def test_live_worker_and_scheduler_are_listed_with_their_queues(
    app, testapp, monitor_headers, heartbeat, queues
):
    declared = sorted(app.registry["task_broker"].get_declared_queues())
    heartbeat(WORKER, declared, host="worker-1", pid=41)
    heartbeat(SCHEDULER, host="sched-1", pid=42)
    heartbeat(WORKER, ["email"], host="worker-0", now=utcnow() - dt.timedelta(minutes=5))
    body = health(testapp, monitor_headers)
    assert body["status"] == "healthy"
    workers = body["components"]["workers"]
    assert workers["status"] == "ok" and workers["live"] == 1
    live, dead = workers["processes"]
    assert (live["host"], live["pid"], live["queues"], live["live"]) == (
        "worker-1",
        41,
        declared,
        True,
    )
    assert live["state"] == "running" and live["seconds_ago"] < 30 and live["last_seen"]
    assert dead["host"] == "worker-0" and dead["live"] is False and dead["seconds_ago"] >= 300
    scheduler = body["components"]["scheduler"]
    assert scheduler["live"] == 1 and scheduler["processes"][0]["host"] == "sched-1"
    entries = {q["name"]: q for q in body["components"]["queue"]["queues"]}
    assert set(entries) == set(declared)
    assert all(q["consumers"] == 1 and q["oldest_seconds"] is None for q in entries.values())


def test_a_stale_heartbeat_is_not_a_live_process(testapp, monitor_headers, heartbeat, queues):
    long_ago = utcnow() - dt.timedelta(seconds=61)  # HEARTBEAT_TIMEOUT is 60 s
    heartbeat(WORKER, ["default", "email"], now=long_ago)
    heartbeat(SCHEDULER, now=long_ago)
    body = health(testapp, monitor_headers)
    assert body["status"] == "degraded"
    assert body["components"]["workers"]["live"] == 0
    assert body["components"]["scheduler"]["status"] == "error"


def test_no_scheduler_heartbeat_degrades_health(app, testapp, monitor_headers, heartbeat, queues):
    heartbeat(WORKER, sorted(app.registry["task_broker"].get_declared_queues()))
    body = health(testapp, monitor_headers)
    assert body["status"] == "degraded"
    assert body["components"]["queue"]["status"] == "ok"
    assert body["components"]["scheduler"]["error"].startswith("no live scheduler")


def test_an_old_message_on_a_queue_no_live_worker_consumes_degrades_health(
    app, testapp, monitor_headers, heartbeat, queues
):
    heartbeat(WORKER, ["email"])  # live, but not for "default"
    heartbeat(SCHEDULER)
    queues.enqueue(old_message(app, "default", minutes=11))  # QUEUE_STALE_MINUTES is 10
    body = health(testapp, monitor_headers)
    queue = body["components"]["queue"]
    assert body["status"] == "degraded" and queue["status"] == "error"
    assert "queue 'default': a message has waited 11 min" in queue["error"]
    entry = next(q for q in queue["queues"] if q["name"] == "default")
    assert entry["depth"] == 1 and entry["consumers"] == 0 and entry["oldest_seconds"] >= 660


def test_a_young_message_or_a_consumed_queue_is_not_stale(
    app, testapp, monitor_headers, heartbeat, queues
):
    heartbeat(WORKER, ["email"])
    heartbeat(SCHEDULER)
    queues.enqueue(old_message(app, "default", minutes=2))
    assert health(testapp, monitor_headers)["components"]["queue"]["status"] == "ok"
    heartbeat(WORKER, ["default"])
    queues.enqueue(old_message(app, "default", minutes=30))  # a backlog, but served
    assert health(testapp, monitor_headers)["status"] == "healthy"


def test_the_in_process_worker_and_scheduler_count_as_live(app, testapp, monitor_headers, queues):
    class Running:
        running = True

    app.registry["task_worker"] = object()
    app.registry["scheduler"] = Running()
    try:
        body = health(testapp, monitor_headers)
    finally:
        del app.registry["task_worker"], app.registry["scheduler"]
    assert body["status"] == "healthy"
    worker = body["components"]["workers"]["processes"][0]
    assert worker["in_process"] is True and worker["live"] is True
    assert body["components"]["scheduler"]["processes"][0]["in_process"] is True


def test_health_with_and_without_processes_matches_its_openapi_schema(
    app, testapp, monitor_headers, heartbeat, queues
):
    contract = Contract(testapp.get("/api/openapi.json").json)
    for path in (HEALTH, "/api/system/health-extended/", "/api/system/components/"):
        contract.check("GET", path, testapp.get(path, headers=monitor_headers))
    heartbeat(WORKER, ["email"])
    heartbeat(SCHEDULER)
    queues.enqueue(old_message(app, "default", minutes=20))
    for path in (HEALTH, "/api/system/components/"):
        contract.check("GET", path, testapp.get(path, headers=monitor_headers))


def test_the_schema_documents_the_process_and_queue_components(testapp):
    doc = testapp.get("/api/openapi.json").json
    schema = doc["paths"][HEALTH]["get"]["responses"]["200"]["content"]["application/json"]
    components = schema["schema"]["properties"]["components"]["properties"]
    assert {"queue", "workers", "scheduler"} <= set(components)
    process = components["workers"]["properties"]["processes"]["items"]["properties"]
    assert {"host", "pid", "queues", "last_seen", "live"} <= set(process)
    entry = components["queue"]["properties"]["queues"]["items"]["properties"]
    assert entry["oldest_seconds"]["type"] == ["number", "null"]


# --- the oldest waiting message per queue ------------------------------------------------


def test_oldest_waiting_counts_due_delayed_messages_from_their_due_time(app, broker):
    now = time.time() * 1000
    broker.enqueue(old_message(app, "email", minutes=3))
    broker.enqueue(old_message(app, "default", minutes=60), delay=0)  # due now: waits ~0
    late = old_message(app, "default", minutes=60, eta=int(now - 5 * MINUTE_MS))
    broker.queues["default.DQ"].put(late.copy(queue_name="default.DQ").encode())  # due 5 min ago
    later = old_message(app, "backups", minutes=60)
    broker.enqueue(later, delay=3_600_000)  # due in an hour: not waiting
    ages = oldest_waiting_seconds(broker, ["email", "default", "backups"], now_ms=now)
    assert ages["email"] == pytest.approx(180, abs=2)
    assert ages["default"] == pytest.approx(300, abs=2)
    assert ages["backups"] is None


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs THEBOT_TEST_REDIS_URL")
def test_oldest_waiting_reads_the_redis_queues(make_app, bind_app):
    app = bind_app(make_app(task_broker="redis", redis_url=TEST_REDIS_URL))
    broker = app.registry["task_broker"]
    broker.flush_all()
    try:
        assert oldest_waiting_seconds(broker, ["email"])["email"] is None
        broker.enqueue(old_message(app, "email", minutes=12))
        broker.enqueue(old_message(app, "email", minutes=1))
        broker.enqueue(old_message(app, "default", minutes=1), delay=3_600_000)
        ages = oldest_waiting_seconds(broker, ["email", "default"])
        assert ages["email"] == pytest.approx(720, abs=5) and ages["default"] is None
    finally:
        broker.flush_all()
