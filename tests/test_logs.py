"""Rotating log files under LOG_DIR, with request ids."""

from __future__ import annotations

import logging
import logging.handlers

import pytest

from thebot.logs import configure_logging, remove_file_handlers


@pytest.fixture
def log_dir(tmp_path):
    configure_logging({"log_dir": str(tmp_path)})
    yield tmp_path
    remove_file_handlers()


def test_audit_admin_and_worker_logs_are_separate_rotating_files(log_dir):
    logging.getLogger("audit").info("login_succeeded actor=1")
    logging.getLogger("thebot.something").warning("disk almost full")
    logging.getLogger("dramatiq.worker").info("worker booted")
    for handler in logging.getLogger("audit").handlers + logging.getLogger().handlers:
        handler.flush()
    audit = (log_dir / "audit.log").read_text()
    assert audit.startswith("[AUDIT] ") and "login_succeeded actor=1" in audit
    admin = (log_dir / "admin.log").read_text()
    assert "[WARNING]" in admin and "thebot.something - disk almost full" in admin
    assert "worker booted" in (log_dir / "worker.log").read_text()
    rotating = [
        h
        for h in logging.getLogger("audit").handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    ]
    assert rotating[0].maxBytes == 10 * 1024 * 1024 and rotating[0].backupCount == 10


def test_configuring_twice_does_not_duplicate_handlers(log_dir):
    configure_logging({"log_dir": str(log_dir)})
    assert (
        len([h for h in logging.getLogger("audit").handlers if isinstance(h, logging.FileHandler)])
        == 1
    )


def test_request_id_is_on_log_lines_of_a_request(testapp, log_dir):
    testapp.get("/api/test/boom/", headers={"X-Request-ID": "trace-me-42"}, status=500)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "request_id=trace-me-42" in (log_dir / "admin.log").read_text()


def test_task_arguments_never_reach_the_logs(log_dir):
    import dramatiq

    message = dramatiq.Message(
        queue_name="email",
        actor_name="notifications.send_email",
        args=(["a@example.com"], "Reset", "token=SECRET-RESET-TOKEN"),
        kwargs={},
        options={},
    )
    logging.getLogger("dramatiq.worker.WorkerThread").error(
        "Failed to process message %s.", message
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    admin = (log_dir / "admin.log").read_text()
    assert f"notifications.send_email({message.message_id})" in admin
    assert "SECRET-RESET-TOKEN" not in admin
