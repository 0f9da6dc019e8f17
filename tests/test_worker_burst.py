"""``thebot-worker --burst`` exits once every queue is empty, not after the first message."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from testenv import TEST_REDIS_URL
from thebot.scripts import worker as worker_script

COUNT = 12


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_burst_worker(app: Any, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    env = {"registry": app.registry, "closer": lambda: None}
    monkeypatch.setattr(worker_script, "bootstrap_app", lambda config_uri: env)
    return worker_script.main(["unused.ini", "--burst", "--threads", "1", *argv])


def send_emails(app: Any, count: int) -> None:
    actor = app.registry["task_actors"]["notifications.send_email"]
    for n in range(count):
        actor.send([f"burst{n}@example.com"], "Burst", "Body")


@pytest.mark.parametrize("kind", ["stub", "redis"])
def test_burst_processes_every_queued_message(
    kind, make_app, bind_app, tmp_path, monkeypatch, keep_signal_handlers
):
    if kind == "redis" and not TEST_REDIS_URL:
        pytest.skip("needs THEBOT_TEST_REDIS_URL")
    mail_dir = tmp_path / "mail"
    app = bind_app(
        make_app(task_broker=kind, redis_url=TEST_REDIS_URL or "", mail_dir=str(mail_dir))
    )
    broker = app.registry["task_broker"]
    broker.flush_all()
    send_emails(app, COUNT)
    send_emails_later = app.registry["task_actors"]["notifications.send_email"]
    send_emails_later.send_with_options(args=(["later@example.com"], "S", "B"), delay=3_600_000)
    assert run_burst_worker(app, monkeypatch) == 0
    sent = sorted(p.read_text().split("To: ")[1].split("\n")[0] for p in mail_dir.glob("*.eml"))
    assert len(sent) == COUNT and "later@example.com" not in sent  # due in an hour
    if kind == "redis":  # handed back when the worker stopped (the stub broker drops it)
        assert worker_script.waiting_in_broker(broker, {"email"}) == 1
    broker.flush_all()


def test_burst_only_waits_for_the_chosen_queues(make_app, bind_app, tmp_path, monkeypatch):
    app = bind_app(make_app(task_broker="stub", mail_dir=str(tmp_path / "mail")))
    broker = app.registry["task_broker"]
    broker.flush_all()
    send_emails(app, 2)
    assert worker_script.waiting_in_broker(broker, {"email"}) == 2
    assert worker_script.waiting_in_broker(broker, {"default"}) == 0
    broker.flush_all()
