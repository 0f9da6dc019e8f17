"""Scheduled backups: settings, periodic tasks, and what the scheduled actors do."""

from __future__ import annotations

import datetime as dt

import dramatiq
import pytest
from sqlalchemy import select

from thebot.backups.models import Backup
from thebot.backups.schedule import as_time_of_day, scheduled_backup
from thebot.backups.service import catalog, request_backup
from thebot.settings import ConfigurationError, load_settings


def periodic(app) -> dict[str, str]:
    return {
        p.task_name: p.cron or f"every {p.seconds}s"
        for p in app.registry["periodic_tasks"]
        if p.task_name.startswith("backups.")
    }


def test_default_schedule_is_registered(app):
    assert periodic(app) == {
        "backups.scheduled_full": "30 2 * * *",
        "backups.scheduled_incremental": "every 3600s",
        "backups.retention": "every 3600s",
    }


def test_schedule_follows_the_settings(make_app, tmp_root):
    app = make_app(backup_full_time="23:05", backup_incremental_interval="900")
    assert periodic(app)["backups.scheduled_full"] == "5 23 * * *"
    assert periodic(app)["backups.scheduled_incremental"] == "every 900s"
    quiet = make_app(backup_full_time="off", backup_incremental_interval="0")
    assert set(periodic(quiet)) == {"backups.retention"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BACKUP_FULL_TIME", "25:00"),
        ("BACKUP_FULL_TIME", "2pm"),
        ("BACKUP_KEEP_CHAINS", "-1"),
        ("BACKUP_INCREMENTAL_INTERVAL", "hourly"),
        ("BACKUP_VERIFY_SCHEDULED", "perhaps"),
    ],
)
def test_bad_backup_settings_stop_start_up(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings({}, environ={name: value})


def test_times_of_day():
    assert as_time_of_day("2:30") == dt.time(2, 30)
    assert as_time_of_day("OFF") is None and as_time_of_day("") is None


def test_a_scheduled_incremental_without_a_base_is_taken_full_and_verified(sites):
    site = sites("scheduled")
    first = scheduled_backup(site.request, "incremental")
    assert (first.type, first.origin, first.status) == ("full", "scheduled", "completed")
    assert first.verify_status == "passed"
    second = scheduled_backup(site.request, "incremental")
    assert (second.type, second.parent_id, second.verify_status) == ("incremental", first.id, None)


def test_a_scheduled_backup_is_skipped_while_another_runs(sites):
    site = sites("busy")
    with catalog(site.registry) as session:
        request_backup(session, "full")
    assert scheduled_backup(site.request, "full") is None


def test_the_scheduled_actors_run_through_the_broker(sites):
    site = sites("actors", backup_verify_scheduled="false")
    broker = site.registry["task_broker"]
    actors = site.registry["task_actors"]
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        actors["backups.scheduled_full"].send()
        broker.join("backups", fail_fast=True)
        actors["backups.scheduled_incremental"].send()
        actors["backups.retention"].send()
        broker.join("backups", fail_fast=True)
        worker.join()
    finally:
        worker.stop()
    with catalog(site.registry) as session:
        records = session.execute(select(Backup).order_by(Backup.id)).scalars().all()
        assert [(b.type, b.status) for b in records] == [
            ("full", "completed"),
            ("incremental", "completed"),
        ]
        assert records[0].verify_status is None


def test_a_scheduled_incremental_whose_parent_archive_vanished_is_taken_full(sites):
    from pathlib import Path

    site = sites("vanished", backup_verify_scheduled="false")
    first = scheduled_backup(site.request, "full")
    Path(first.path).unlink()
    second = scheduled_backup(site.request, "incremental")
    assert (second.type, second.status) == ("full", "completed")
