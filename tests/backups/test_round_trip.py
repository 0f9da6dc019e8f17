"""Done-when: a full backup and two incrementals, each restored into an EMPTY database,
give back every table row by row and every media file byte by byte; across engines too."""

from __future__ import annotations

from pathlib import Path

import pytest
from backup_helpers import snapshot, take
from backup_seed import assert_every_table_seeded, change_everything, seed_every_model

from conftest import PG
from thebot.backups.operations import restore


def restored_snapshot(site) -> tuple[dict, dict]:
    """The state of a restored site, without the audit event the restore itself adds."""
    return snapshot(site, skip_actions=("backup.restored",))


def build_history(site) -> list[tuple[object, tuple[dict, dict]]]:
    """Seed, full backup, change, incremental, change, incremental: (record, state) each.

    The state is read just before each backup: what the backup's snapshot sees (the
    ``backup_created`` audit event of a backup is written after its snapshot).
    """
    with site.session() as session, session.begin():
        ids = seed_every_model(session, site.media)
    assert_every_table_seeded(site.engine)
    state = snapshot(site)
    history = [(take(site, "full"), state)]
    for round_ in (1, 2):
        with site.session() as session, session.begin():
            change_everything(session, site.media, ids, round_)
        state = snapshot(site)
        history.append((take(site, "incremental"), state))
    return history


def assert_restores_exactly(target, archive: Path, expected: tuple[dict, dict]) -> None:
    record = restore(target.request, path=archive)
    assert record.restore_status == "completed", record.restore_error
    tables, files = restored_snapshot(target)
    expected_tables, expected_files = expected
    assert set(tables) == set(expected_tables)
    for name in expected_tables:
        assert tables[name] == expected_tables[name], f"table {name} differs"
    assert files == expected_files
    assert_keys_continue(target)


def assert_keys_continue(site) -> None:
    """New rows get fresh keys (PostgreSQL sequences were moved past the restored rows),
    and the capture triggers are back (the new row is in the change log)."""
    from sqlalchemy import func, select

    from thebot.accounts.models import User
    from thebot.backups.models import ChangeLogEntry

    with site.session() as session, session.begin():
        highest = session.execute(select(func.max(User.id))).scalar_one()
        user = User(username="after-restore", email="after@example.com", role="student")
        session.add(user)
        session.flush()
        assert user.id > highest
        logged = session.execute(
            select(ChangeLogEntry.pk).where(
                ChangeLogEntry.table_name == "user_account", ChangeLogEntry.op == "I"
            )
        ).scalars()
        assert [pk.replace(" ", "") for pk in logged] == [f"[{user.id}]"]


def test_full_and_incrementals_restore_into_empty_databases_losing_nothing(sites):
    source = sites("source")
    history = build_history(source)
    full, first, second = (record for record, _ in history)
    assert first.parent_id == full.id and second.parent_id == first.id
    # The incrementals hold the changes only, deletions included.
    assert first.summary["rows"] < full.summary["rows"]
    assert first.summary["deleted"] > 0 and second.summary["deleted"] > 0
    assert first.summary["media_stored"] == 2 and first.summary["media_removed"] == 1
    for position, (record, state) in enumerate(history):
        target = sites(f"target{position}", migrate=False)  # no tables at all
        assert_restores_exactly(target, Path(record.path), state)


def test_incremental_captures_core_bulk_updates_and_cascades(sites):
    source = sites("source")
    history = build_history(source)
    from thebot.backups.engine.archive import ArchiveReader

    with ArchiveReader(history[1][0].path) as reader:
        entries = {t["name"]: t for t in reader.manifest["tables"]}
    assert {e["mode"] for e in entries.values()} == {"changes"}
    # revoke_tokens() is a Core UPDATE: no ORM event saw it, the trigger did.
    assert entries["auth_token"]["rows"]["count"] >= 1
    # Deleting a user cascaded in the database: its profile went, links lost the user.
    assert entries["student_profile"]["deleted"]["count"] == 1
    assert entries["user_account"]["deleted"]["count"] == 1
    assert entries["health_check"]["deleted"]["count"] == 1


@pytest.mark.skipif(not PG, reason="cross-engine restore needs PostgreSQL")
@pytest.mark.parametrize(
    ("source_kind", "target_kind"), [("sqlite", "postgresql"), ("postgresql", "sqlite")]
)
def test_backups_restore_across_engines(sites, source_kind, target_kind):
    source = sites("source", kind=source_kind)
    history = build_history(source)
    for position, (record, state) in enumerate(history):
        target = sites(f"target{position}", kind=target_kind, migrate=False)
        assert_restores_exactly(target, Path(record.path), state)


def test_restore_into_a_used_database_replaces_everything(sites):
    source = sites("source")
    history = build_history(source)
    target = sites("target")
    with target.session() as session, session.begin():
        seed_every_model(session, target.media)  # other data, to be replaced
    record, state = history[1]
    assert_restores_exactly(target, Path(record.path), state)
