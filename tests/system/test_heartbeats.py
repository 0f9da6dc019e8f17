"""Worker and scheduler heartbeats: recorded, aged, pruned; ``thebot-heartbeat`` reads them."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from thebot.db import utcnow
from thebot.scripts import heartbeat as heartbeat_script
from thebot.system import heartbeats
from thebot.system.heartbeats import SCHEDULER, WORKER, Heartbeats, beat, recent
from thebot.system.models import Heartbeat


def test_a_beat_records_and_refreshes_one_row_per_process(dbsession):
    then = utcnow() - dt.timedelta(seconds=30)
    beat(dbsession, instance="w1", kind=WORKER, queues=["email", "default"], now=then)
    beat(dbsession, instance="w1", kind=WORKER, queues=["default", "email"], state="busy")
    row = dbsession.get(Heartbeat, "w1")
    assert row.queues == ["default", "email"] and row.state == "busy"
    assert row.started_at == then and row.last_seen > then
    assert row.host == socket.gethostname() and row.pid > 0


def test_recent_marks_processes_live_by_the_timeout_and_hides_old_ones(dbsession):
    now = utcnow()
    beat(dbsession, instance="fresh", kind=WORKER, now=now - dt.timedelta(seconds=10))
    beat(dbsession, instance="stale", kind=WORKER, now=now - dt.timedelta(seconds=90))
    beat(dbsession, instance="gone", kind=WORKER, now=now - dt.timedelta(hours=2))
    beat(dbsession, instance="sched", kind=SCHEDULER, now=now)
    seen = recent(dbsession, 60, WORKER, now=now)
    assert [(p.instance, p.live) for p in seen] == [("fresh", True), ("stale", False)]
    assert [p.instance for p in recent(dbsession, 60, now=now)] == ["sched", "fresh", "stale"]


def test_rows_older_than_a_day_are_pruned_by_the_next_beat(dbsession):
    beat(dbsession, instance="dead", kind=WORKER, now=utcnow() - dt.timedelta(days=2))
    beat(dbsession, instance="alive", kind=WORKER)
    assert dbsession.get(Heartbeat, "dead") is None


def test_heartbeats_are_never_in_a_backup():
    from thebot.backups.models import EXCLUDED_TABLES

    assert {Heartbeat.__tablename__} == heartbeats.TABLES and heartbeats.TABLES <= EXCLUDED_TABLES


def test_an_unknown_kind_is_refused(dbsession):
    with pytest.raises(ValueError):
        beat(dbsession, instance="x", kind="gardener")


def test_the_process_side_records_its_state_and_removes_its_row_on_stop(app, dbsession):
    beats = Heartbeats(app.registry["dbsession_factory"], WORKER, ["email"], interval=3600)
    assert beats.beat_once() is True
    row = dbsession.get(Heartbeat, beats.instance)
    assert row.queues == ["email"] and row.state == "running" and row.kind == "worker"
    beats.set_state("waiting for the task broker")
    assert beats.beat_once() is True
    dbsession.expire_all()
    assert dbsession.get(Heartbeat, beats.instance).state == "waiting for the task broker"
    beats.stop()
    dbsession.expire_all()
    assert dbsession.get(Heartbeat, beats.instance) is None


def test_the_heartbeat_thread_beats_at_once_and_again_on_a_state_change(engine):
    def row(instance: str) -> Heartbeat | None:
        with Session(engine) as session:
            return session.get(Heartbeat, instance)

    def wait_for(check: Any) -> Any:
        for _ in range(500):
            found = check()
            if found:
                return found
            time.sleep(0.01)
        raise AssertionError("the heartbeat thread did not write")

    beats = Heartbeats(sessionmaker(bind=engine), SCHEDULER, interval=3600).start()
    try:
        assert wait_for(lambda: row(beats.instance)).state == "running"
        beats.set_state("paused")  # written at once, not after the hour-long interval
        wait_for(lambda: (r := row(beats.instance)) is not None and r.state == "paused")
    finally:
        beats.stop()
    assert row(beats.instance) is None


def test_a_database_failure_is_logged_once_and_retried(caplog):
    from thebot.outages import OUTAGES

    def broken() -> Any:
        raise ConnectionRefusedError("database down")

    beats = Heartbeats(broken, SCHEDULER)
    try:
        assert beats.beat_once() is False and beats.beat_once() is False
        errors = [r for r in caplog.records if "scheduler heartbeat unavailable" in r.message]
        assert len(errors) == 1
    finally:
        OUTAGES.recovered("scheduler heartbeat")


# --- thebot-heartbeat (the container healthcheck) --------------------------------------


@pytest.fixture
def committed(engine) -> Iterator[Any]:
    """Write heartbeat rows for real (the command has its own connection); removed after."""
    made: list[str] = []

    def write(instance: str, kind: str, age_seconds: float, host: str | None = None) -> None:
        with Session(engine) as session, session.begin():
            beat(
                session,
                instance=instance,
                kind=kind,
                host=host,
                now=utcnow() - dt.timedelta(seconds=age_seconds),
            )
        made.append(instance)

    yield write
    with Session(engine) as session, session.begin():
        session.execute(delete(Heartbeat).where(Heartbeat.instance.in_(made)))


@pytest.fixture
def ini(tmp_path, engine) -> str:
    url = engine.url.render_as_string(hide_password=False)
    path = tmp_path / "hb.ini"
    path.write_text(
        f"[app:main]\nuse = egg:thebot\ndebug = true\ndatabase_url = {url}\n"
        "heartbeat_timeout = 60\n"
    )
    return str(path)


def test_heartbeat_command_passes_with_a_fresh_heartbeat_of_this_host(ini, committed, capsys):
    committed("hb-worker", WORKER, 5)
    assert heartbeat_script.main([ini, "--component", "worker"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("worker heartbeat fresh: pid") and out.count("\n") == 1


def test_heartbeat_command_fails_without_one_for_this_kind_or_host(ini, committed, capsys):
    committed("hb-elsewhere", SCHEDULER, 5, host="another-host")
    committed("hb-old", WORKER, 300)
    assert heartbeat_script.main([ini, "--component", "scheduler"]) == 1
    err = capsys.readouterr().err
    host = socket.gethostname()
    assert err == f"no fresh scheduler heartbeat on {host}: none in the last hour\n"
    assert heartbeat_script.main([ini, "--component", "worker"]) == 1
    err = capsys.readouterr().err
    age = int(err.split("the newest is ")[1].split(" s old")[0])
    assert 300 <= age < 330 and err.endswith(" s old (limit 60 s)\n")
    assert heartbeat_script.main([ini, "--component", "worker", "--max-age", "600"]) == 0
    args = [ini, "--component", "scheduler", "--host", "another-host"]
    assert heartbeat_script.main(args) == 0


def test_heartbeat_command_fails_when_the_database_is_unreachable(tmp_path, capsys):
    path = tmp_path / "down.ini"
    path.write_text(
        "[app:main]\nuse = egg:thebot\ndebug = true\n"
        "database_url = postgresql+psycopg://nobody@127.0.0.1:1/none\ndb_connect_timeout = 2\n"
    )
    assert heartbeat_script.main([str(path), "--component", "worker"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("thebot-heartbeat: database unavailable:") and err.count("\n") == 1


def test_heartbeat_command_reports_a_missing_ini_as_a_configuration_problem(tmp_path, capsys):
    missing = str(tmp_path / "nope.ini")
    assert heartbeat_script.main([missing, "--component", "worker"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_heartbeat_command_needs_a_known_component(ini):
    with pytest.raises(SystemExit) as exc:
        heartbeat_script.main([ini, "--component", "gardener"])
    assert exc.value.code == 2
