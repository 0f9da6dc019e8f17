"""Change capture: triggers on every table log each change in the changing transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from backup_helpers import take
from backup_seed import change_everything, seed_every_model
from sqlalchemy import select, text

from conftest import PG
from thebot.backups.engine import capture
from thebot.backups.engine.archive import ArchiveReader
from thebot.backups.engine.format import BackupError
from thebot.backups.models import Backup, ChangeLogEntry
from thebot.backups.operations import restore
from thebot.backups.service import (
    BackupConflict,
    catalog,
    operation_lock,
    request_backup,
)


@pytest.fixture
def site(sites):
    site = sites("capture")
    with site.session() as session, session.begin():
        site.ids = seed_every_model(session, site.media)
    return site


def log_rows(site, table: str) -> list[tuple[str, str]]:
    with site.session() as session:
        rows = session.execute(
            select(ChangeLogEntry.op, ChangeLogEntry.pk)
            .where(ChangeLogEntry.table_name == table, ChangeLogEntry.op != "T")
            .order_by(ChangeLogEntry.seq)
        )
        return [tuple(r) for r in rows]


def entries_of(record) -> dict[str, dict]:
    with ArchiveReader(record.path) as reader:
        return {t["name"]: t for t in reader.manifest["tables"]}


def test_every_backed_up_table_gets_triggers_and_installing_is_idempotent(site):
    with site.engine.begin() as conn:
        installed = capture.ensure_capture(conn)
        assert sorted(installed) == sorted(t.name for t in capture.backup_tables())
        assert capture.ensure_capture(conn) == []
        present = capture.installed_triggers(conn)
    assert set(present) == set(installed)
    assert "backup_record" not in present and "backup_change" not in present


def test_core_updates_cascades_and_key_changes_are_logged(site):
    with site.engine.begin() as conn:
        capture.ensure_capture(conn)
    with site.session() as session, session.begin():
        change_everything(session, site.media, site.ids, 1)
    with site.engine.begin() as conn:
        conn.execute(text("UPDATE health_check SET id = 99 WHERE id = 1"))
    tokens = log_rows(site, "auth_token")
    assert ("U", "[1]") in [(op, pk.replace(" ", "")) for op, pk in tokens]  # Core UPDATE
    other = f"[{site.ids['other']}]"
    profiles = [(op, pk.replace(" ", "")) for op, pk in log_rows(site, "student_profile")]
    assert ("D", other) in profiles  # ON DELETE CASCADE, done by the database
    links = [op for op, _ in log_rows(site, "parent_link")]
    assert "D" in links
    checks = [(op, pk.replace(" ", "")) for op, pk in log_rows(site, "health_check")]
    assert ("D", "[1]") in checks and ("U", "[99]") in checks  # the old key is deleted


def test_a_table_whose_capture_was_missing_is_copied_whole(site):
    take(site, "full")
    with site.engine.begin() as conn:
        for name in capture.installed_triggers(conn)["notification"]:
            on = "" if conn.dialect.name == "sqlite" else " ON notification"
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"{on}')
    with site.session() as session, session.begin():  # unseen by the (missing) trigger
        session.execute(text("UPDATE notification SET title = 'unseen'"))
    record = take(site, "incremental")
    entries = entries_of(record)
    assert entries["notification"]["mode"] == "replace"
    assert entries["notification"]["rows"]["count"] == entries["notification"]["total_rows"]
    assert entries["user_account"]["mode"] == "changes"


@pytest.mark.skipif(not PG, reason="TRUNCATE fires statement triggers on PostgreSQL only")
def test_truncate_makes_the_next_incremental_copy_the_table(site):
    take(site, "full")
    with site.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE health_check")
    entries = entries_of(take(site, "incremental"))
    assert entries["health_check"]["mode"] == "replace"
    assert entries["health_check"]["total_rows"] == 0


def test_the_change_log_is_pruned_after_each_backup(site):
    take(site, "full")
    with site.session() as session, session.begin():
        change_everything(session, site.media, site.ids, 1)
    assert log_rows(site, "user_account")
    record = take(site, "incremental")
    if site.engine.dialect.name == "postgresql" and horizon_held(site, record.change_point):
        pytest.skip("a transaction elsewhere on the server holds the prune horizon back")
    assert log_rows(site, "user_account") == []


def horizon_held(site, point: str) -> bool:
    """Pruning keeps rows a transaction still open at the snapshot may not have seen; that
    horizon is server-wide, so another database's open transaction holds it back."""
    with site.engine.connect() as conn:
        oldest = conn.execute(
            text("SELECT min(txid) FROM backup_change WHERE table_name = 'user_account'")
        ).scalar()
        xmin = conn.execute(
            text("SELECT txid_snapshot_xmin(CAST(:p AS txid_snapshot))"), {"p": point}
        ).scalar()
    return oldest is not None and xmin is not None and oldest >= xmin


def test_an_incremental_without_changes_holds_only_the_last_audit_event(site):
    take(site, "full")
    record = take(site, "incremental")
    # The full backup's "backup.created" event was written after its snapshot.
    assert record.summary["rows"] == 1 and record.summary["deleted"] == 0
    assert entries_of(record)["audit_event"]["rows"]["count"] == 1
    assert record.summary["media_stored"] == 0 and record.summary["media_removed"] == 0


def test_incrementals_need_an_unbroken_chain_of_the_same_schema(site):
    full = take(site, "full")
    with catalog(site.registry) as session:
        session.get(Backup, full.id).alembic_revision = "0123456789ab"
    with catalog(site.registry) as session, pytest.raises(BackupConflict, match="schema"):
        request_backup(session, "incremental")
    with catalog(site.registry) as session:
        session.get(Backup, full.id).alembic_revision = None
    restored = restore(site.request, backup_id=full.id)
    assert restored.restore_status == "completed", restored.restore_error
    with catalog(site.registry) as session:
        assert not any(b.extendable for b in session.execute(select(Backup)).scalars())
        with pytest.raises(BackupConflict, match="full backup first"):
            request_backup(session, "incremental")


def test_one_backup_or_restore_at_a_time(site, tmp_path: Path):
    with operation_lock(tmp_path), pytest.raises(BackupConflict), operation_lock(tmp_path):
        pass
    with catalog(site.registry) as session:
        request_backup(session, "full")
        with pytest.raises(BackupConflict, match="busy"):
            request_backup(session, "full")
        with pytest.raises(BackupError, match="unknown backup type"):
            request_backup(session, "weekly")
