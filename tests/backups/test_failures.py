"""A restore that cannot succeed changes nothing: damaged, tampered, too new, incomplete.

Restores go through ``restore(path=...)`` (archives outside the catalog) so manifests can be
rewritten; the checks before the transaction and the rollback inside it are both exercised.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from backup_helpers import snapshot, take
from backup_seed import change_everything, seed_every_model

from conftest import flip_byte, rewrite_archive
from thebot.backups.engine.format import BackupError, CorruptArchive, IncompatibleArchive
from thebot.backups.engine.restore import code_revision
from thebot.backups.operations import restore, verify_backup

# Events the failed attempts write themselves (a safety backup is a real backup).
ATTEMPTS = ("backup.restore_failed", "backup.verified", "backup.created")


@pytest.fixture
def site(sites):
    """A site with a full backup and changes made after it (so a restore would show)."""
    site = sites("site")
    with site.session() as session, session.begin():
        site.ids = seed_every_model(session, site.media)
    site.full = take(site, "full")
    with site.session() as session, session.begin():
        change_everything(session, site.media, site.ids, 1)
    site.before = snapshot(site, skip_actions=ATTEMPTS)
    return site


def unchanged(site) -> bool:
    """Every row and file as before the attempt (apart from the attempts' audit events)."""
    return snapshot(site, skip_actions=ATTEMPTS) == site.before


@pytest.mark.parametrize("member", ["tables/", "media/files/", "media/index"])
def test_a_flipped_byte_fails_verify_and_restore(site, member):
    flip_byte(Path(site.full.path), member)
    record = verify_backup(site.request, site.full.id)
    assert record.verify_status == "failed" and "checksum" in record.verify_error
    record = restore(site.request, backup_id=site.full.id)
    assert record.restore_status == "failed" and "checksum" in record.restore_error
    assert unchanged(site)


def test_a_truncated_archive_fails_verify_and_restore(site):
    path = Path(site.full.path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert verify_backup(site.request, site.full.id).verify_status == "failed"
    assert restore(site.request, backup_id=site.full.id).restore_status == "failed"
    assert unchanged(site)


def test_a_failure_inside_the_restore_transaction_rolls_everything_back(site, tmp_path):
    """The manifest says one more row than the data holds: caught after loading."""

    def lie(manifest):
        manifest["tables"][-1]["total_rows"] += 1
        manifest["tables"][-1]["rows"]["count"] += 1

    tampered = rewrite_archive(Path(site.full.path), tmp_path / "tampered.tar", lie)
    with pytest.raises(CorruptArchive):
        restore(site.request, path=tampered)
    assert unchanged(site)


def test_foreign_key_violations_roll_the_restore_back(site, tmp_path):
    """A consistent archive whose rows break foreign keys: the student's account is gone,
    its profile, tokens and links are not. Found after loading, inside the transaction."""
    student = site.ids["student"]
    tampered = rewrite_archive(
        Path(site.full.path),
        tmp_path / "orphans.tar",
        rows={"user_account": lambda rows: [r for r in rows if r[0] != student]},
    )
    with pytest.raises(CorruptArchive, match="foreign key"):
        restore(site.request, path=tampered)
    assert unchanged(site)


def test_a_backup_from_a_newer_schema_is_refused(site, tmp_path):
    newer = rewrite_archive(
        Path(site.full.path),
        tmp_path / "newer.tar",
        lambda m: m.update(alembic_revision="ffffffffffff"),
    )
    with pytest.raises(IncompatibleArchive, match="upgrade THE_BOT first"):
        restore(site.request, path=newer)
    assert unchanged(site)


def test_an_unknown_format_version_is_refused(site, tmp_path):
    future = rewrite_archive(
        Path(site.full.path), tmp_path / "v2.tar", lambda m: m.update(format_version=2)
    )
    with pytest.raises(IncompatibleArchive, match="format version 2"):
        restore(site.request, path=future)
    assert unchanged(site)


def test_a_backup_from_an_older_schema_is_migrated_forward(sites, site, tmp_path):
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    from thebot.db.migrate import alembic_config, upgrade

    (head,) = code_revision().split(",")
    older = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    probe = sites("probe", migrate=False)
    with probe.engine.begin() as conn:
        upgrade(probe.registry.settings, revision=older, connection=conn)
        inspector = inspect(conn)
        existing = {
            t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()
        }
    # Columns the head revision added do not exist in an archive of the older schema.
    with tarfile.open(site.full.path, "r:") as tar:
        current = json.loads(tar.extractfile("manifest.json").read())
    dropped = {
        t["name"]: [i for i, c in enumerate(t["columns"]) if c not in existing[t["name"]]]
        for t in current["tables"]
        if t["name"] in existing
    }
    dropped = {name: idx for name, idx in dropped.items() if idx}

    def without(idx):
        return lambda rows: [[v for i, v in enumerate(r) if i not in idx] for r in rows]

    def at_older_revision(manifest):
        manifest["alembic_revision"] = older
        manifest["tables"] = [t for t in manifest["tables"] if t["name"] in existing]
        for entry in manifest["tables"]:
            idx = dropped.get(entry["name"], [])
            for key in ("columns", "types"):
                entry[key] = [v for i, v in enumerate(entry[key]) if i not in idx]

    archive = rewrite_archive(
        Path(site.full.path),
        tmp_path / "older.tar",
        at_older_revision,
        rows={name: without(idx) for name, idx in dropped.items()},
    )
    target = sites("target", migrate=False)
    record = restore(target.request, path=archive)
    assert record.restore_status == "completed"
    assert record.restore_details["revision"] == older
    assert record.restore_details["migrated_to"] == head
    with target.engine.connect() as conn:
        from thebot.backups.engine.restore import database_revision

        assert database_revision(conn) == head


def test_an_incremental_whose_full_backup_is_gone_is_refused(site):
    incremental = take(site, "incremental")
    moved = Path(site.full.path).with_suffix(".moved")
    shutil.move(site.full.path, moved)
    record = restore(site.request, backup_id=incremental.id)
    assert record.restore_status == "failed" and "missing" in record.restore_error
    assert unchanged(site)
    with pytest.raises(BackupError, match="missing"):
        restore(site.request, path=Path(incremental.path))


def test_media_paths_cannot_escape_the_media_root(sites, tmp_path):
    from thebot.backups.engine.archive import ArchiveWriter
    from thebot.backups.engine.format import FORMAT_NAME, MEDIA_INDEX_MEMBER

    writer = ArchiveWriter(tmp_path, "evil.tar")
    sha, size, _ = writer.media_file(Path(__file__))
    index = writer.lines(MEDIA_INDEX_MEMBER)
    index.write(["../../escaped.py", size, sha, 0, "e" * 32])
    info = index.close()
    path, _, _ = writer.finish(
        {
            "format": FORMAT_NAME,
            "format_version": 1,
            "id": "e" * 32,
            "type": "full",
            "created_at": "2026-11-28T00:00:00+00:00",
            "app_version": "x",
            "alembic_revision": code_revision(),
            "source": {"dialect": "sqlite"},
            "parent": None,
            "chain": [],
            "tables": [],
            "media": {
                "index": info.as_dict(),
                "files": 1,
                "bytes": size,
                "stored": 1,
                "removed": 0,
            },
        }
    )
    target = sites("target", migrate=False)
    with pytest.raises(CorruptArchive, match="unsafe media path"):
        restore(target.request, path=path)
    assert not (target.root / "escaped.py").exists()
    assert not (target.root.parent / "escaped.py").exists()
    assert json.loads("[]") == []
