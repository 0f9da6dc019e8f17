"""Retention: whole chains go, young and newest ones stay, the only verified full never goes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import time_machine
from backup_helpers import take
from sqlalchemy import select

from thebot.audit import AuditEvent
from thebot.backups import retention
from thebot.backups.models import Backup
from thebot.backups.schedule import run_retention
from thebot.backups.service import catalog

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)


class Catalog:
    """Backup records in memory (``plan`` reads the catalog, it writes nothing)."""

    def __init__(self) -> None:
        self.records: list[Backup] = []

    def add(self, kind: str, days_ago: float, parent: Backup | None = None, **extra) -> Backup:
        record = Backup(
            id=len(self.records) + 1,
            uuid=f"{len(self.records) + 1:032x}",
            type=kind,
            status=extra.pop("status", "completed"),
            parent_id=parent.id if parent else None,
            created_at=NOW - dt.timedelta(days=days_ago),
            updated_at=NOW - dt.timedelta(days=days_ago),
            **extra,
        )
        self.records.append(record)
        return record

    def chain(self, days_ago: float, incrementals: int = 2, **extra) -> list[Backup]:
        members = [self.add("full", days_ago, **extra)]
        for n in range(incrementals):
            members.append(self.add("incremental", days_ago - 0.1 * (n + 1), members[-1]))
        return members

    def plan(self, keep_chains: int, keep_days: int) -> list[int]:
        doomed = retention.plan(
            self.records, keep_chains=keep_chains, keep_days=keep_days, now=NOW
        )
        return [b.id for b in doomed]


def ids(members: list[Backup]) -> set[int]:
    return {b.id for b in members}


def test_old_chains_beyond_the_count_are_deleted_whole_children_first():
    c = Catalog()
    oldest, old, recent = c.chain(30), c.chain(20), c.chain(10)
    doomed = c.plan(keep_chains=1, keep_days=0)
    assert set(doomed) == ids(oldest) | ids(old)
    assert doomed == sorted(doomed, reverse=True)  # incrementals before their full backup
    assert not set(doomed) & ids(recent)


def test_young_chains_are_kept_whatever_their_number():
    c = Catalog()
    old = c.chain(30)
    young = c.chain(3) + c.chain(1)
    doomed = set(c.plan(keep_chains=1, keep_days=7))
    assert doomed == ids(old) and not doomed & ids(young)


def test_a_young_incremental_keeps_its_old_full_backup():
    c = Catalog()
    chain = c.chain(30, incrementals=0)
    c.add("incremental", 1, chain[0])
    c.chain(0.5, incrementals=0)
    assert c.plan(keep_chains=1, keep_days=7) == []


def test_the_only_verified_full_backup_is_never_deleted():
    c = Catalog()
    verified = c.chain(30, verify_status="passed")
    c.chain(20, verify_status="failed")
    newest = c.chain(10)
    doomed = set(c.plan(keep_chains=1, keep_days=0))
    assert not doomed & ids(verified) and not doomed & ids(newest)
    assert doomed  # the unverified middle chain goes


def test_with_a_newer_verified_full_backup_an_older_one_may_go():
    c = Catalog()
    old_verified = c.chain(30, verify_status="passed")
    c.chain(10, verify_status="passed")
    assert set(c.plan(keep_chains=1, keep_days=0)) == ids(old_verified)


def test_busy_backups_are_kept_and_old_failed_records_go():
    c = Catalog()
    busy = c.chain(30, incrementals=0, verify_status="running")
    failed_old = c.add("full", 40, status="failed")
    failed_young = c.add("full", 1, status="failed")
    c.chain(1)
    doomed = set(c.plan(keep_chains=1, keep_days=7))
    assert failed_old.id in doomed
    assert failed_young.id not in doomed and not doomed & ids(busy)


def test_interrupted_backups_are_marked_failed(sites):
    site = sites("interrupted")
    with catalog(site.registry) as session:
        stale = Backup(
            uuid="a" * 32,
            type="full",
            status="running",
            created_at=NOW - dt.timedelta(days=2),
            updated_at=NOW - dt.timedelta(days=2),
        )
        session.add(stale)
    with time_machine.travel(NOW, tick=False):
        result = run_retention(site.request)
    assert result["interrupted"] == [stale.id]
    with catalog(site.registry) as session:
        assert session.get(Backup, stale.id).status == "failed"


def test_retention_deletes_archive_files_and_records(sites):
    site = sites("retention", backup_keep_chains=1, backup_keep_days=0)
    first, second = take(site, "full"), take(site, "incremental")
    third = take(site, "full")
    stale = site.backups / ".verify-0123456789ab"
    stale.mkdir()
    os.utime(stale, (0, 0))
    fresh = site.backups / ".verify-running"
    fresh.mkdir()
    result = run_retention(site.request)
    assert result["leftovers"] == [stale.name] and fresh.exists()
    assert sorted(result["deleted"]) == [first.id, second.id]
    assert result["bytes_freed"] == first.size + second.size
    assert not Path(first.path).exists() and not Path(second.path).exists()
    assert Path(third.path).exists()
    with catalog(site.registry) as session:
        left = session.execute(select(Backup.id)).scalars().all()
        assert left == [third.id]
        event = session.execute(
            select(AuditEvent).where(AuditEvent.action == "backup.pruned")
        ).scalar_one()
        assert sorted(event.details["deleted"]) == [first.id, second.id]
