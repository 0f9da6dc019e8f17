"""One ``thebot-scheduler`` per database: the lock, the refusal of a second one, the keeper."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from thebot.scripts import scheduler as scheduler_script
from thebot.system.heartbeats import SCHEDULER
from thebot.tasks.lock import SchedulerLock, advisory_key


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_a_second_lock_on_the_same_database_is_refused_until_the_first_is_released(engine):
    first, second = SchedulerLock(engine), SchedulerLock(engine)
    assert first.acquire() and first.held()
    try:
        assert second.acquire() is False and second.held() is False
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_locks_of_other_databases_or_names_do_not_meet(engine, tmp_path):
    other = create_engine(f"sqlite:///{tmp_path}/other.sqlite")
    ours, theirs, renamed = SchedulerLock(engine), SchedulerLock(other), SchedulerLock(engine, "x")
    try:
        assert ours.acquire() and theirs.acquire() and renamed.acquire()
    finally:
        for lock in (ours, theirs, renamed):
            lock.release()
        other.dispose()


def test_the_advisory_key_is_stable_and_fits_a_bigint():
    assert advisory_key("thebot-scheduler") == advisory_key("thebot-scheduler")
    assert 0 < advisory_key("thebot-scheduler") < 2**63


def test_a_dropped_postgresql_connection_loses_the_lock_and_it_can_be_taken_again(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    lock = SchedulerLock(engine)
    assert lock.acquire()
    try:
        pid = lock._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
        assert lock.held() is False
        assert lock.acquire() and lock.held()
    finally:
        lock.release()


def test_a_second_scheduler_refuses_to_start_with_one_line_and_exit_code_4(
    app, bind_app, heartbeat_row, capsys
):
    heartbeat_row(host="sched-host", pid=4242)
    first = SchedulerLock(app.registry["dbengine"])
    assert first.acquire()
    try:
        assert scheduler_script.run(app.registry, threading.Event()) == 4
    finally:
        first.release()
    err = capsys.readouterr().err
    assert err == (
        "thebot-scheduler: another scheduler is running (pid 4242 on sched-host, heartbeat 0 s "
        "ago); only one may run per database. Exit code 4.\n"
    )


@pytest.fixture
def heartbeat_row(app: Any, bind_app: Any, dbsession: Any) -> Any:
    from thebot.system.heartbeats import beat

    bind_app(app)

    def add(**kwargs: Any) -> None:
        beat(dbsession, instance="other-scheduler", kind=SCHEDULER, **kwargs)

    return add


def test_the_scheduler_runs_beats_holds_the_lock_and_releases_it(
    make_app, engine, caplog, keep_signal_handlers
):
    import logging

    from sqlalchemy.orm import Session

    from thebot.system.heartbeats import recent

    app = make_app()
    stop = threading.Event()
    seen: list[Any] = []

    def look_then_stop() -> None:
        for _ in range(300):
            with Session(engine) as session:
                seen[:] = recent(session, 60, SCHEDULER)
            if seen:
                break
            stop.wait(0.02)
        taken = SchedulerLock(engine)
        seen.append(taken.acquire())  # held by the running scheduler
        taken.release()
        stop.set()

    caplog.set_level(logging.INFO)
    looker = threading.Thread(target=look_then_stop)
    looker.start()
    assert scheduler_script.run(app.registry, stop) == 0
    looker.join()
    assert seen[0].live and seen[0].kind == SCHEDULER and seen[-1] is False
    free = SchedulerLock(engine)
    assert free.acquire()  # released at the end
    free.release()
    with Session(engine) as session:
        assert recent(session, 60, SCHEDULER) == []  # its row is gone
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("scheduler started with") for m in messages)
    assert not [m for m in messages if m.startswith("Adding job")], "APScheduler kept quiet"


class FakeLock:
    def __init__(self, held: bool, acquire: Any):
        self._held = held
        self._acquire = acquire

    def held(self) -> bool:
        return self._held

    def acquire(self) -> bool:
        return self._acquire()


class FakeScheduler:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")


def test_the_keeper_leaves_a_held_lock_alone():
    scheduler, stop = FakeScheduler(), threading.Event()
    keeper = scheduler_script.LockKeeper(FakeLock(True, lambda: True), scheduler, stop, 1)
    keeper.check()
    assert scheduler.calls == [] and not stop.is_set()


def test_the_keeper_pauses_while_the_database_is_away_and_resumes_with_the_lock_back():
    outcomes = iter([ConnectionError("down"), True])

    def acquire() -> bool:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    scheduler, stop = FakeScheduler(), threading.Event()
    keeper = scheduler_script.LockKeeper(FakeLock(False, acquire), scheduler, stop, 1)
    keeper.check()
    assert scheduler.calls == ["pause"] and not keeper.lost
    keeper.check()
    assert scheduler.calls == ["pause", "resume"] and not stop.is_set()


def test_the_keeper_stops_the_scheduler_when_another_took_the_lock():
    scheduler, stop = FakeScheduler(), threading.Event()
    keeper = scheduler_script.LockKeeper(FakeLock(False, lambda: False), scheduler, stop, 1)
    keeper.check()
    assert keeper.lost and stop.is_set() and scheduler.calls == ["pause"]


def test_the_in_process_scheduler_starts_only_with_the_lock(make_app, engine, caplog):
    held = SchedulerLock(engine)
    assert held.acquire()
    try:
        app = make_app(scheduler_in_process="true")
        assert "scheduler" not in app.registry
        assert "another scheduler holds the lock" in caplog.text
    finally:
        held.release()
    app = make_app(scheduler_in_process="true")
    try:
        assert app.registry["scheduler"].running
        assert SchedulerLock(engine).acquire() is False
    finally:
        app.registry["scheduler"].shutdown(wait=False)
        app.registry["scheduler_lock"].release()


@pytest.mark.slow
def test_a_second_scheduler_process_refuses_while_the_first_runs(tmp_path):
    import os
    import subprocess
    import sys
    import time

    ini = tmp_path / "s.ini"
    ini.write_text(
        "[app:main]\nuse = egg:thebot\ndebug = true\nauto_migrate = true\n"
        f"database_url = sqlite:///{tmp_path}/s.sqlite\ntask_broker = stub\n"
        "realtime_in_process = false\nscheduler_in_process = false\n"
        f"media_root = {tmp_path}/media\nmail_dir = {tmp_path}/mail\n"
        "\n[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = plain\n"
        "[logger_root]\nlevel = INFO\nhandlers = console\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nformatter = plain\n"
        "[formatter_plain]\nformat = %(levelname)s %(name)s %(message)s\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "DATABASE"))}
    command = [sys.executable, "-m", "thebot.scripts.scheduler", str(ini)]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = first.stderr.readline()
            assert line, "the first scheduler exited"
            if "scheduler started with" in line:
                break
        second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert second.returncode == 4
        refusal = [line for line in second.stderr.splitlines() if "thebot-scheduler:" in line]
        assert len(refusal) == 1 and "another scheduler is running (pid" in refusal[0]
        assert f"pid {first.pid} on " in refusal[0]
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        again = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        try:  # the lock was released with the first: a new one starts
            while time.monotonic() < deadline:
                line = again.stderr.readline()
                assert line, "the next scheduler exited"
                if "scheduler started with" in line:
                    break
        finally:
            again.send_signal(signal.SIGTERM)
            again.wait(timeout=30)
    finally:
        first.kill()
        first.wait()
