"""Restore a chain of archives (a full backup and its incrementals) into a database.

Everything that can fail on a bad archive happens before the database is touched: the
chain is checked (each incremental names its parent and the parent's checksum), every
member's checksum is verified, and media files are extracted (and checked) into a
staging directory. Then, in ONE transaction:

1. the tables of the application are dropped and the schema is rebuilt by the alembic
   migrations up to the archive's revision (refused when this code does not know it);
2. foreign keys are switched off for the load (``PRAGMA foreign_keys=OFF`` on SQLite,
   set before the transaction; dropped and re-added on PostgreSQL, where re-adding
   validates every reference): self-references and cycles need no special order;
3. each archive is applied, and the row count of every table is compared with the
   manifest; on SQLite ``PRAGMA foreign_key_check`` must come back empty;
4. the migrations newer than the archive run (an older backup is migrated forward), the
   backup catalog rows that existed before are put back, the capture triggers are
   installed, and PostgreSQL sequences are moved past the highest key.

Any error rolls the transaction back: the database is as it was. The media staging
directory is swapped into ``MEDIA_ROOT`` only after the commit.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import AddConstraint, DropConstraint

from thebot.backups.engine import capture
from thebot.backups.engine.archive import ArchiveReader, sha256_file
from thebot.backups.engine.format import BackupError, CorruptArchive, IncompatibleArchive
from thebot.backups.engine.load import apply_archive, driver_of
from thebot.backups.engine.media import restore_media, staging_dir, swap_in
from thebot.backups.models import Backup
from thebot.db import table_of

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


def _ignore(fraction: float, message: str) -> None:
    return None


@dataclass
class Link:
    """One archive of a chain and the checksum it must have (catalog or child manifest)."""

    path: Path
    sha256: str | None = None


# --- schema revisions ---------------------------------------------------------------------


def _script() -> ScriptDirectory:
    from thebot.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config())


def code_revision() -> str:
    """The heads this code's migrations end at (comma-separated when there are several)."""
    return ",".join(sorted(_script().get_heads()))


def database_revision(conn: Connection) -> str | None:
    from alembic.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def check_revision(revision: str, archive: str) -> None:
    """Refuse a backup whose schema revision this code does not know (a newer one)."""
    script = _script()
    for rev in revision.split(","):
        try:
            known = script.get_revision(rev) is not None
        except Exception:  # alembic raises several kinds for an unknown id
            known = False
        if not known:
            raise IncompatibleArchive(
                f"{archive} was taken at schema revision {rev}, which this version of THE_BOT "
                f"does not know (newest here: {code_revision()}): upgrade THE_BOT first"
            )


# --- the chain ----------------------------------------------------------------------------


def open_chain(links: list[Link], progress: Progress = _ignore) -> list[ArchiveReader]:
    """Open and check every archive of a chain (root first); nothing is written."""
    missing = [str(link.path) for link in links if not link.path.is_file()]
    if missing:
        raise BackupError(f"archive {', '.join(missing)} is missing")
    readers: list[ArchiveReader] = []
    try:
        total = max(1, sum(link.path.stat().st_size for link in links))
        done = 0
        previous_sha = None
        for position, link in enumerate(links):
            sha, size = sha256_file(link.path)
            if link.sha256 is not None and sha != link.sha256:
                raise CorruptArchive(f"{link.path.name}: the archive checksum does not match")
            reader = ArchiveReader(link.path)
            reader.sha256 = sha
            readers.append(reader)
            manifest = reader.manifest
            if position == 0 and manifest["type"] != "full":
                raise BackupError(f"{reader.name}: a chain must start with a full backup")
            if position > 0:
                parent = manifest["parent"]
                if manifest["type"] != "incremental" or parent["id"] != readers[-2].id:
                    raise CorruptArchive(f"{reader.name}: its parent is not {readers[-2].name}")
                if parent["sha256"] != previous_sha:
                    raise CorruptArchive(f"{reader.name}: the parent archive was changed")
                if manifest["alembic_revision"] != readers[0].manifest["alembic_revision"]:
                    raise CorruptArchive(f"{reader.name}: the chain changes schema revision")
            previous_sha = sha
            for entry in manifest["tables"]:
                reader.check(entry["rows"])
                if entry["deleted"] is not None:
                    reader.check(entry["deleted"])
            reader.check(manifest["media"]["index"])
            done += size
            progress(done / total, f"checked {reader.name}")
    except BaseException:
        for reader in readers:
            reader.close()
        raise
    check_revision(readers[-1].manifest["alembic_revision"], readers[-1].name)
    return readers


# --- the transaction ----------------------------------------------------------------------


@contextlib.contextmanager
def restore_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose SQLite foreign keys are off (only possible outside a transaction)."""
    conn = engine.connect()
    sqlite = engine.dialect.name == "sqlite"
    try:
        if sqlite:
            driver_of(conn).execute("PRAGMA foreign_keys=OFF")
        yield conn
    finally:
        if sqlite:
            conn.invalidate()  # never hand a connection with foreign keys off to the pool
        conn.close()


def _drop_schema(conn: Connection, extra: set[str]) -> None:
    from thebot import import_models

    ours = set(import_models().tables) | {"alembic_version"} | extra
    existing = set(inspect(conn).get_table_names())
    doomed = sorted(existing & ours)
    unknown = existing - ours
    if unknown:
        log.warning("restore keeps tables it does not know: %s", sorted(unknown))
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        capture.drop_capture_functions(conn)
        if doomed:
            conn.exec_driver_sql(f"DROP TABLE {', '.join(quote(t) for t in doomed)} CASCADE")
    else:
        for name in doomed:
            conn.exec_driver_sql(f"DROP TABLE {quote(name)}")


def _migrate(conn: Connection, settings: dict[str, Any], revision: str) -> None:
    from thebot.db.migrate import upgrade

    for rev in revision.split(","):
        upgrade(settings, revision=rev, connection=conn)


def _reflect(conn: Connection, names: list[str]) -> dict[str, Table]:
    existing = set(inspect(conn).get_table_names())
    missing = [n for n in names if n not in existing]
    if missing:
        raise IncompatibleArchive(
            f"tables {missing} of the backup do not exist at its schema revision"
        )
    metadata = MetaData()
    metadata.reflect(conn, only=names)
    return {name: metadata.tables[name] for name in names}


def _foreign_keys_off(conn: Connection, tables: dict[str, Table]) -> list[Any]:
    if conn.dialect.name != "postgresql":
        return []
    constraints = [fk for t in tables.values() for fk in t.foreign_key_constraints if fk.name]
    for constraint in constraints:
        conn.execute(DropConstraint(constraint))
    return constraints


def _foreign_keys_on(conn: Connection, constraints: list[Any]) -> None:
    if conn.dialect.name == "postgresql":
        for constraint in constraints:
            try:
                conn.execute(AddConstraint(constraint))  # validates every row
            except IntegrityError as exc:
                raise CorruptArchive(
                    f"the backup breaks foreign key {constraint.name}: {exc.orig}"
                ) from exc
        return
    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        sample = ", ".join(f"{p[0]} row {p[1]} -> {p[2]}" for p in problems[:5])
        raise CorruptArchive(f"the backup breaks {len(problems)} foreign keys: {sample}")


def _check_counts(conn: Connection, tables: dict[str, Table], manifest: dict[str, Any]) -> dict:
    counts = {}
    for entry in manifest["tables"]:
        table = tables[entry["name"]]
        counts[entry["name"]] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if counts[entry["name"]] != entry["total_rows"]:
            raise CorruptArchive(
                f"{entry['name']} has {counts[entry['name']]} rows after the restore; "
                f"the backup recorded {entry['total_rows']}"
            )
    return counts


def reset_sequences(conn: Connection) -> int:
    """PostgreSQL: every serial/identity sequence continues after its column's maximum."""
    if conn.dialect.name != "postgresql":
        return 0
    rows = conn.exec_driver_sql(
        "SELECT c.relname, a.attname, pg_get_serial_sequence(quote_ident(c.relname), a.attname) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 "
        "AND NOT a.attisdropped "
        "AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL"
    ).fetchall()
    quote = conn.dialect.identifier_preparer.quote
    for table, column, sequence in rows:
        conn.execute(
            text(
                f"SELECT setval(:seq, COALESCE((SELECT MAX({quote(column)}) "  # noqa: S608
                f"FROM {quote(table)}), 0) + 1, false)"
            ),
            {"seq": sequence},
        )
    return len(rows)


def restore_chain(
    engine: Engine,
    readers: list[ArchiveReader],
    *,
    settings: dict[str, Any],
    media_root: Path | None,
    migrate: bool = True,
    keep_catalog: bool = True,
    catalog_rows: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    progress: Progress = _ignore,
) -> dict[str, Any]:
    """Replace the database (and ``MEDIA_ROOT`` unless ``None``) with the chain's state.

    ``migrate=False`` leaves the schema at the archive's revision and skips the catalog and
    triggers: that is verify's trial restore into a scratch database.
    """
    from thebot.db.migrate import quiet_alembic

    started = time.monotonic()
    final = readers[-1]
    holders = {reader.id: reader for reader in readers}
    staging = None
    token = uuid.uuid4().hex[:12]
    if media_root is not None:
        media_root.mkdir(parents=True, exist_ok=True)
        staging = staging_dir(media_root, token)
        staging.mkdir()
    try:
        media = restore_media(final, holders, staging, progress=lambda f, m: progress(0.3 * f, m))
        revision = final.manifest["alembic_revision"]
        total = max(1, sum(e["rows"]["count"] for r in readers for e in r.manifest["tables"]))
        loaded = 0

        def tick(n: int) -> None:
            nonlocal loaded
            loaded += n
            progress(0.3 + 0.6 * min(loaded / total, 1.0), "loading rows")

        # One step for the operator: no alembic line per revision (quiet_alembic).
        with quiet_alembic(), restore_connection(engine) as conn, conn.begin():
            before = database_revision(conn)
            if before is not None and before != code_revision():
                raise BackupError(
                    f"the database is at schema revision {before}, not {code_revision()}: "
                    "run thebot-migrate before restoring"
                )
            saved = []
            if keep_catalog and Backup.__tablename__ in inspect(conn).get_table_names():
                saved = [  # in id order: parents go back before the incrementals on them
                    dict(r)
                    for r in conn.execute(select(Backup.__table__).order_by(Backup.id)).mappings()
                ]
            names = [entry["name"] for entry in final.manifest["tables"]]
            _drop_schema(conn, set(names))
            progress(0.3, f"creating the schema at revision {revision}")
            _migrate(conn, settings, revision)
            tables = _reflect(conn, names)
            constraints = _foreign_keys_off(conn, tables)
            for reader in readers:
                apply_archive(conn, reader, tables, tick)
            _foreign_keys_on(conn, constraints)
            counts = _check_counts(conn, tables, final.manifest)
            if migrate:
                progress(0.92, "migrating to the current schema")
                _migrate(conn, settings, code_revision())
                if keep_catalog:
                    rows = catalog_rows(saved) if catalog_rows else saved
                    if rows:
                        conn.execute(insert(table_of(Backup)), rows)
                capture.ensure_capture(conn)
            reset_sequences(conn)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if staging is not None and media_root is not None:
        progress(0.97, "swapping media files")
        swap_in(media_root, staging, token)
    progress(1.0, "restored")
    return {
        "archives": [r.name for r in readers],
        "revision": revision,
        "migrated_to": code_revision() if migrate and revision != code_revision() else None,
        "rows": loaded,
        "counts": counts,
        "media_files": media["files"],
        "media_bytes": media["bytes"],
        "seconds": round(time.monotonic() - started, 3),
        "dialect": engine.dialect.name,
    }
