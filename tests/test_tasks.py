"""Background tasks: after-commit sending, the email actor, the Redis worker."""

from __future__ import annotations

import email
import glob
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from testenv import TEST_DATABASE_URL, TEST_REDIS_PREFIX, TEST_REDIS_URL


def email_queue_size(broker):
    return broker.queues["email"].qsize() if "email" in broker.queues else 0


def test_message_is_sent_after_the_transaction_commits(testapp, broker):
    testapp.post_json("/api/test/mail/", {"to": "a@example.com"})
    assert email_queue_size(broker) == 1


def test_aborted_request_sends_nothing(testapp, broker):
    testapp.post_json("/api/test/mail/", {"to": "a@example.com", "fail": True}, status=500)
    assert email_queue_size(broker) == 0


def test_invalid_request_sends_nothing(testapp, broker):
    testapp.post_json("/api/test/mail/", {"to": "not-an-address"}, status=400)
    assert email_queue_size(broker) == 0


def test_email_actor_writes_the_mail_folder_without_smtp(app, testapp, broker, worker):
    mail_dir = app.registry.settings["mail_dir"]
    before = set(glob.glob(os.path.join(mail_dir, "*.eml")))
    testapp.post_json("/api/test/mail/", {"to": "b@example.com"})
    broker.join("email")
    worker.join()
    new = set(glob.glob(os.path.join(mail_dir, "*.eml"))) - before
    assert len(new) == 1
    with open(new.pop(), "rb") as fh:
        message = email.message_from_binary_file(fh)
    assert message["To"] == "b@example.com" and message["Subject"] == "Hello"


def test_email_actor_uses_smtp_when_configured(app, monkeypatch):
    from thebot.notifications import email as mail

    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self, context):
            sent.append("starttls")

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"]))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    settings = {
        **app.registry.settings,
        "smtp_host": "smtp.example.com",
        "smtp_user": "u",
        "smtp_password": "p",
    }
    assert (
        mail.deliver(settings, mail.build_message(settings, ["c@example.com"], "S", "B")) == "smtp"
    )
    assert sent == [
        ("connect", "smtp.example.com", 587),
        "starttls",
        ("login", "u"),
        ("send", "c@example.com"),
    ]


@pytest.mark.slow
@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs THEBOT_TEST_REDIS_URL")
def test_thebot_worker_processes_the_email_actor_against_redis(tmp_path, make_app, client):
    # The Redis db the test run was given (and owns); only the broker's own keys (its
    # queues, under Dramatiq's namespace) are cleared, before and after.
    url = TEST_REDIS_URL
    mail_dir = tmp_path / "mail"
    app = make_app(task_broker="redis", redis_url=url, mail_dir=str(mail_dir))
    broker = app.registry["task_broker"]
    broker.flush_all()
    try:
        _run_worker_burst(tmp_path, app, client, url, mail_dir)
    finally:
        broker.flush_all()
    files = list(mail_dir.glob("*.eml"))
    assert len(files) == 1 and "w@example.com" in files[0].read_text()


def _run_worker_burst(tmp_path: Any, app: Any, client: Any, url: str, mail_dir: Any) -> None:
    """Queue one email through the API, then run ``thebot-worker --burst`` on it."""
    client(app).post_json("/api/test/mail/", {"to": "w@example.com"})
    ini = tmp_path / "worker.ini"
    ini.write_text(
        textwrap.dedent(
            f"""
            [app:main]
            use = egg:thebot
            debug = true
            secret_key = {"s" * 60}
            allowed_hosts = localhost
            database_url = {TEST_DATABASE_URL or "sqlite:///" + str(tmp_path / "w.sqlite")}
            redis_url = {url}
            redis_key_prefix = {TEST_REDIS_PREFIX}
            task_broker = redis
            mail_dir = {mail_dir}
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "thebot.scripts.worker", str(ini), "--burst", "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_actors_come_from_the_configuration_of_each_app(app):
    """``@task`` only marks a function: the feature's ``config.scan`` adds it to the app."""
    from thebot.tasks import tasks_of

    names = set(tasks_of(app.registry))
    assert {"notifications.send_email", "assignments.weekly_reports", "backups.create"} <= names
    assert set(app.registry["task_actors"]) == names


def test_scanning_a_tasks_module_adds_its_tasks():
    from pyramid.config import Configurator

    from thebot.tasks import add_task, tasks_of

    config = Configurator()
    config.add_directive("add_task", add_task)
    config.commit()
    assert tasks_of(config.registry) == {}  # importing the module registered nothing
    config.scan("thebot.notifications.tasks")
    config.commit()
    spec = tasks_of(config.registry)["notifications.send_email"]
    assert (spec.queue, spec.options["max_retries"]) == ("email", 5)


def test_two_tasks_of_one_name_are_a_configuration_conflict():
    from pyramid.config import Configurator
    from pyramid.exceptions import ConfigurationConflictError

    from thebot.tasks import add_task

    config = Configurator()
    config.add_directive("add_task", add_task)
    config.add_task(lambda request: None, "twice")
    config.add_task(lambda request: None, "twice")
    with pytest.raises(ConfigurationConflictError):
        config.commit()
