"""Transactional outbox: a message is a row of the request's transaction, relayed to the
broker after the commit, kept and retried while the broker is down, run once by the actor."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from sqlalchemy import func, select

from testenv import TEST_REDIS_URL
from thebot.accounts.credentials.passwords import hash_password
from thebot.outages import OUTAGES
from thebot.tasks.outbox import OutboxMessage, ProcessedMessage, Relay, get_relay, relay_job

RESET_URL = "/api/auth/password-reset/"


@pytest.fixture(autouse=True)
def _fresh_relay(app: Any) -> Iterator[None]:
    """The relay's backoff lives on the session app: every test starts without one."""
    OUTAGES.reset()
    app.registry.pop("outbox_relay", None)
    yield
    app.registry.pop("outbox_relay", None)
    OUTAGES.reset()


@pytest.fixture
def user(make_user: Any) -> Any:
    return make_user("parent", email="irina@example.com", password_hash=hash_password("x" * 20))


class BrokerDown:
    """Make ``broker.enqueue`` fail like an unreachable Redis, and count the attempts."""

    def __init__(self, broker: Any):
        self.calls = 0
        self.patch = pytest.MonkeyPatch()
        self.patch.setattr(broker, "enqueue", self.enqueue)

    def enqueue(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def restore(self) -> None:
        self.patch.undo()


@pytest.fixture
def broker_down(broker: Any) -> Iterator[Any]:
    down = BrokerDown(broker)
    yield down
    down.restore()


def outbox_rows(dbsession: Any) -> list[OutboxMessage]:
    dbsession.expire_all()
    return list(dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def queued(broker: Any, queue: str = "email") -> list[dramatiq.Message]:
    q = broker.queues.get(queue)
    return [] if q is None else [dramatiq.Message.decode(data) for data in list(q.queue)]


def mails_to(mail_dir: str, address: str, before: set[str]) -> list[str]:
    found = []
    for path in set(glob.glob(os.path.join(mail_dir, "*.eml"))) - before:
        with open(path, encoding="utf-8", errors="replace") as fh:
            if f"To: {address}" in fh.read():
                found.append(path)
    return found


def test_a_message_is_a_row_of_the_requests_transaction_until_relayed(
    testapp, dbsession, broker, broker_down
):
    down = broker_down
    testapp.post_json("/api/test/mail/", {"to": "a@example.com"})
    (row,) = outbox_rows(dbsession)
    assert down.calls == 1 and queued(broker) == []
    assert row.actor == "notifications.send_email" and row.message["args"][0] == ["a@example.com"]
    message_id = row.message_id
    down.restore()
    assert get_relay(testapp.app.registry).drain(force=True) == 1
    assert outbox_rows(dbsession) == []
    (message,) = queued(broker)
    assert message.message_id == message_id


def test_an_aborted_transaction_writes_nothing(testapp, dbsession, broker):
    testapp.post_json("/api/test/mail/", {"to": "a@example.com", "fail": True}, status=500)
    assert outbox_rows(dbsession) == []
    assert queued(broker) == []


def test_password_reset_with_the_broker_down_sends_the_email_exactly_once(
    app, testapp, dbsession, user, broker, worker, broker_down, caplog
):
    mail_dir = app.registry.settings["mail_dir"]
    before = set(glob.glob(os.path.join(mail_dir, "*.eml")))
    down = broker_down
    testapp.post_json(RESET_URL, {"email": "irina@example.com"}, status=202)
    testapp.post_json(RESET_URL, {"email": "irina@example.com"}, status=202)
    kept = [row.message for row in outbox_rows(dbsession)]
    assert len(kept) == 2  # kept, not dropped
    assert down.calls == 1  # the second commit waited for the backoff instead of asking
    assert caplog.text.count("broker unavailable") == 1

    down.restore()  # the broker is back
    relay_job(app.registry)  # what thebot-scheduler runs every few seconds
    assert outbox_rows(dbsession) == []
    assert "broker back after" in caplog.text
    broker.join("email")
    worker.join()
    assert len(mails_to(mail_dir, "irina@example.com", before)) == 2

    # The broker took a message but the row survived (a crash before the delete): a second
    # relay delivers it again, and the actor skips the id it has already processed.
    ids = {m["message_id"] for m in kept}
    processed = dbsession.scalars(
        select(ProcessedMessage.message_id).where(ProcessedMessage.message_id.in_(ids))
    )
    assert set(processed) == ids
    broker.enqueue(dramatiq.Message(**kept[0]))
    broker.join("email")
    worker.join()
    assert len(mails_to(mail_dir, "irina@example.com", before)) == 2


def test_the_relay_backs_off_while_the_broker_is_down(
    app, testapp, dbsession, broker, broker_down
):
    down = broker_down
    now = [1000.0]
    relay = Relay(app.registry, clock=lambda: now[0])
    app.registry["outbox_relay"] = relay
    testapp.post_json("/api/test/mail/", {"to": "a@example.com"})
    assert down.calls == 1
    testapp.post_json("/api/test/mail/", {"to": "b@example.com"})
    assert down.calls == 1  # within the first second: not asked
    now[0] += 1.1
    testapp.post_json("/api/test/mail/", {"to": "c@example.com"})
    assert down.calls == 2 and relay.failures == 2
    now[0] += 1.1  # the second backoff is two seconds
    relay.after_commit([])
    assert down.calls == 2
    now[0] += 1.0
    down.restore()
    relay.after_commit([])  # the backlog goes with the next commit once the backoff passed
    assert relay.failures == 0 and relay.backlog is False
    assert outbox_rows(dbsession) == []
    assert sorted(m.args[0][0] for m in queued(broker)) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


def test_thebot_scheduler_runs_the_relay_job(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from thebot.tasks.periodic import build_scheduler

    scheduler = build_scheduler(app.registry, BackgroundScheduler(timezone="UTC"))
    job = scheduler.get_job("thebot.tasks.outbox.relay")
    assert job is not None and job.func is relay_job


def test_a_delayed_message_keeps_its_due_time(app, dbsession, broker, broker_down):
    import datetime as dt

    from pyramid.scripting import prepare

    from thebot.db import utcnow
    from thebot.tasks import enqueue_delayed

    down = broker_down
    env = prepare(registry=app.registry)
    request = env["request"]
    with request.tm:
        enqueue_delayed(
            request, "notifications.send_email", 3_600_000, ["d@example.com"], "S", "B"
        )
    env["closer"]()
    (row,) = outbox_rows(dbsession)
    assert dt.timedelta(minutes=59) < row.due_at - utcnow() <= dt.timedelta(hours=1)
    down.restore()
    get_relay(app.registry).drain(force=True)
    (message,) = queued(broker, "email.DQ")
    assert 3_500_000 < message.options["eta"] - message.message_timestamp < 3_601_000


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs THEBOT_TEST_REDIS_URL")
def test_redis_down_then_back_delivers_the_reset_email_once(
    make_app, client, dbsession, user, tmp_path
):
    import redis

    from thebot.scripts.worker import run_burst

    mail_dir = tmp_path / "mail"
    app = make_app(task_broker="redis", redis_url=TEST_REDIS_URL, mail_dir=str(mail_dir))
    broker = app.registry["task_broker"]
    broker.flush_all()
    working = broker.client.connection_pool  # the broker's Lua scripts hold this client
    broker.client.connection_pool = redis.ConnectionPool(port=1, socket_connect_timeout=0.5)
    try:
        client(app).post_json(RESET_URL, {"email": "irina@example.com"}, status=202)
    finally:
        broker.client.connection_pool = working  # Redis is back
    (row,) = outbox_rows(dbsession)
    message_id = row.message_id
    assert get_relay(app.registry).drain(force=True) == 1
    assert outbox_rows(dbsession) == []

    import threading

    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        run_burst(worker, broker, {"email"}, threading.Event())
    finally:
        worker.stop()
    files = list(mail_dir.glob("*.eml"))
    assert len(files) == 1 and "irina@example.com" in files[0].read_text()
    processed = select(func.count()).where(ProcessedMessage.message_id == message_id)
    assert dbsession.scalar(processed) == 1
