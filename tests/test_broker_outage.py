"""``thebot-worker`` and ``thebot-scheduler`` with the broker down: one error, then retry
notices with exponential backoff; no CRITICAL line per consumer, no traceback per job."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func, select

from thebot.outages import OUTAGES
from thebot.scripts import worker as worker_script
from thebot.tasks.outbox import BROKER, OutboxMessage, relay
from thebot.tasks.periodic import send_periodic
from thebot.tasks.watch import BrokerWatch, quiet_consumers

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def fresh_outages() -> Iterator[None]:
    for component in (BROKER, "periodic tasks"):
        OUTAGES.recovered(component)
    yield
    for component in (BROKER, "periodic tasks"):
        OUTAGES.recovered(component)


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def lines(caplog: Any, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def test_worker_with_the_broker_down_logs_one_error_then_backs_off(
    make_app, monkeypatch, caplog, keep_signal_handlers
):
    app = make_app(task_broker="redis", redis_url=CLOSED, redis_timeout="0.5")
    env = {"registry": app.registry, "closer": lambda: None}
    monkeypatch.setattr(worker_script, "bootstrap_app", lambda config_uri: env)
    stop = threading.Event()
    timer = threading.Timer(3.5, stop.set)  # tries at 0, 1 and 3 s
    caplog.set_level(logging.INFO)
    timer.start()
    started = time.monotonic()
    try:
        assert worker_script.main(["unused.ini"], stop=stop) == 0
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10, "stops while it waits"
    errors = lines(caplog, logging.ERROR)
    assert len(errors) == 1
    assert errors[0].startswith(f"broker unavailable ({CLOSED}): ConnectionError")
    notices = [m for m in lines(caplog, logging.WARNING) if "unreachable" in m]
    assert [m.rsplit("next try in ", 1)[1] for m in notices] == ["1 s", "2 s", "4 s"]
    assert lines(caplog, logging.CRITICAL) == []
    assert not [r for r in caplog.records if r.exc_info]


def test_a_real_consumer_losing_redis_is_reported_once(caplog):
    """Dramatiq's consumers retry every 3 s with a CRITICAL line each: gated, one error."""
    broker = RedisBroker(url=CLOSED, socket_timeout=0.5, socket_connect_timeout=0.5)
    broker.declare_queue("gated")
    watch = BrokerWatch(broker, first=60)
    unquiet = quiet_consumers(watch, ["gated"])
    caplog.set_level(logging.INFO)
    worker = dramatiq.Worker(broker, queues={"gated"}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        time.sleep(3.5)  # two rounds of the consumers' own retries
    finally:
        worker.stop(timeout=2000)
        unquiet()
    assert lines(caplog, logging.CRITICAL) == []
    assert not [m for m in lines(caplog, logging.INFO) if m.startswith("Restarting consumer")]
    errors = [m for m in lines(caplog, logging.ERROR) if m.startswith("broker unavailable")]
    assert len(errors) == 1 and watch.down


def test_the_gate_hands_connection_errors_to_the_watch_and_lets_the_rest_through(caplog):
    class Down:
        client = None
        thebot_kind = "stub"

    changes: list[bool] = []
    watch = BrokerWatch(Down(), on_change=changes.append)
    unquiet = quiet_consumers(watch, ["email"])
    consumer = logging.getLogger("dramatiq.worker.ConsumerThread(email.DQ)")
    caplog.set_level(logging.INFO)
    try:
        for _ in range(3):
            consumer.critical("Consumer encountered a connection error: %s", ConnectionError("x"))
            consumer.info("Restarting consumer in %0.2f seconds.", 3)
        consumer.critical("Consumer encountered an unexpected error.")
    finally:
        unquiet()
    assert lines(caplog, logging.ERROR) == [
        "broker unavailable (stub): ConnectionError: x "
        "(further failures are counted until it is back)"
    ]
    assert lines(caplog, logging.CRITICAL) == ["Consumer encountered an unexpected error."]
    assert changes == [True]
    assert watch.check() is True and changes == [True, False]  # this broker always answers
    consumer.critical("Consumer encountered a connection error: %s", "y")  # gate removed
    assert lines(caplog, logging.CRITICAL)[-1] == "Consumer encountered a connection error: y"


def test_backoff_doubles_up_to_the_maximum(caplog):
    class Closed:
        class client:  # stands in for a Redis client
            @staticmethod
            def ping() -> None:
                raise ConnectionError("refused")

        connection_pool = None

    waits: list[float] = []

    class Stop:
        def is_set(self) -> bool:
            return len(waits) >= 8

        def wait(self, seconds: float) -> bool:
            waits.append(seconds)
            return self.is_set()

    assert BrokerWatch(Closed(), first=1, maximum=30).wait_until_up(Stop()) is False
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]


# --- the scheduler's periodic messages while the broker is down --------------------------


def test_periodic_messages_wait_in_the_outbox_one_per_task(app, dbsession, broker, caplog):
    actor = app.registry["task_actors"]["system.record_health_check"]

    def refuse(message: Any, delay: Any = None) -> Any:
        raise ConnectionError("broker down")

    before = dbsession.scalar(select(func.count(OutboxMessage.id)))
    original = actor.broker.enqueue
    actor.broker.enqueue = refuse  # type: ignore[method-assign]
    try:
        for _ in range(3):  # three runs of the job during the outage
            send_periodic(app.registry, "system.record_health_check")
    finally:
        actor.broker.enqueue = original  # type: ignore[method-assign]
    rows = dbsession.scalars(
        select(OutboxMessage).where(OutboxMessage.actor == "system.record_health_check")
    ).all()
    assert len(rows) == 1 and dbsession.scalar(select(func.count(OutboxMessage.id))) == before + 1
    assert len([m for m in lines(caplog, logging.ERROR) if "broker unavailable" in m]) == 1
    assert not [r for r in caplog.records if r.exc_info]
    relay(app.registry)  # the broker is back: the relay sends it
    assert broker.queues["default"].qsize() == 1
    send_periodic(app.registry, "system.record_health_check")  # and the job sends directly
    assert broker.queues["default"].qsize() == 2


@pytest.mark.slow
def test_the_worker_console_script_with_redis_down(tmp_path):
    """The real thing: ``thebot-worker`` against a closed port, stopped by SIGTERM."""
    import os
    import subprocess
    import sys

    ini = tmp_path / "w.ini"
    ini.write_text(
        "[app:main]\nuse = egg:thebot\ndebug = true\nauto_migrate = true\n"
        f"database_url = sqlite:///{tmp_path}/w.sqlite\nredis_url = {CLOSED}\n"
        "task_broker = redis\nredis_timeout = 0.5\nrealtime_in_process = false\n"
        f"media_root = {tmp_path}/media\nmail_dir = {tmp_path}/mail\n"
        "\n[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = plain\n"
        "[logger_root]\nlevel = INFO\nhandlers = console\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nformatter = plain\n"
        "[formatter_plain]\nformat = %(levelname)s %(name)s %(message)s\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "DATABASE"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "thebot.scripts.worker", str(ini)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if "next try in 2 s" in line:
                break
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=30)
    finally:
        proc.kill()
    output = "".join(seen) + rest
    assert proc.returncode == 0, output
    assert output.count("ERROR ") == 1 and "broker unavailable" in output
    assert "next try in 1 s" in output and "next try in 2 s" in output
    assert "CRITICAL" not in output and "Traceback" not in output
