"""Write a backup archive from one database snapshot: tables, then ``MEDIA_ROOT``.

Memory stays flat: rows are streamed (``yield_per``, a server-side cursor on PostgreSQL)
straight into gzip members, changed keys are read in batches, and media files are copied
in chunks. The caller opens ``conn`` in a transaction that is a consistent snapshot
(REPEATABLE READ on PostgreSQL; one read transaction on SQLite).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.engine import Connection

from thebot.backups.engine import capture
from thebot.backups.engine.archive import ArchiveReader, ArchiveWriter, LineWriter, MemberInfo
from thebot.backups.engine.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    encoder,
    key_decoder,
    table_member,
    type_tag,
)
from thebot.backups.engine.media import dump_media, read_index

Progress = Callable[[float, str], None]
YIELD_PER = 5000
KEY_BATCH = 500


def _ignore(fraction: float, message: str) -> None:
    return None


@dataclass
class Parent:
    """The backup an incremental builds on."""

    id: str
    path: Path
    sha256: str
    point: str
    chain: list[str]


@dataclass
class DumpResult:
    path: Path
    size: int
    sha256: str
    manifest: dict[str, Any]
    point: str
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def archive_name(created_at: dt.datetime, kind: str, archive_id: str) -> str:
    return f"thebot-{created_at:%Y%m%dT%H%M%SZ}-{kind}-{archive_id}.tar"


def _key_of(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


class _TableDump:
    """One table's entry: columns, encoders, and the members written for it."""

    def __init__(self, table: Table):
        self.table = table
        self.columns = list(table.columns)
        self.tags = [type_tag(c.type) for c in self.columns]
        self.encoders = [encoder(tag) for tag in self.tags]
        self.key = _key_of(table)
        positions = {c.name: i for i, c in enumerate(self.columns)}
        self.key_positions = [positions[c.name] for c in self.key]
        self.key_encoders = [self.encoders[i] for i in self.key_positions]
        self.key_decoders = [key_decoder(self.tags[i]) for i in self.key_positions]

    def encode(self, row: Any) -> list[Any]:
        return [enc(value) for enc, value in zip(self.encoders, row, strict=True)]

    def entry(
        self, mode: str, total: int, rows: MemberInfo, deleted: MemberInfo | None
    ) -> dict[str, Any]:
        return {
            "name": self.table.name,
            "columns": [c.name for c in self.columns],
            "types": self.tags,
            "primary_key": [c.name for c in self.key],
            "mode": mode,
            "total_rows": total,
            "rows": rows.as_dict(),
            "deleted": deleted.as_dict() if deleted is not None else None,
        }


def _write_all(conn: Connection, spec: _TableDump, out: LineWriter, tick: Callable) -> None:
    stmt = select(spec.table).order_by(*spec.key)
    result = conn.execute(stmt, execution_options={"yield_per": YIELD_PER})
    for row in result:
        out.write(spec.encode(row))
        if out.count % YIELD_PER == 0:
            tick(YIELD_PER)
    tick(out.count % YIELD_PER)


def _batches(keys: Iterator[str], spec: _TableDump) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for text_key in keys:
        values = json.loads(text_key)
        batch.append(tuple(dec(v) for dec, v in zip(spec.key_decoders, values, strict=True)))
        if len(batch) >= KEY_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_changes(
    conn: Connection, spec: _TableDump, since: str, rows: LineWriter, deleted: LineWriter
) -> None:
    """Rows whose key was logged after ``since``: present ones to ``rows``, gone ones deleted."""
    for batch in _batches(capture.changed_keys(conn, spec.table.name, since), spec):
        if len(spec.key) == 1:
            where = spec.key[0].in_([k[0] for k in batch])
        else:
            where = tuple_(*spec.key).in_(batch)
        found = set()
        for row in conn.execute(select(spec.table).where(where)):
            encoded = spec.encode(row)
            rows.write(encoded)
            found.add(tuple(encoded[i] for i in spec.key_positions))
        for key in batch:
            encoded_key = [enc(v) for enc, v in zip(spec.key_encoders, key, strict=True)]
            if tuple(encoded_key) not in found:
                deleted.write(encoded_key)


def dump_tables(
    conn: Connection,
    writer: ArchiveWriter,
    tables: list[Table],
    *,
    since: str | None,
    progress: Progress = _ignore,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Table entries of the manifest; ``since`` is the parent's change point (incrementals)."""
    counts = {
        t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables
    }
    total = max(1, sum(counts.values()) if since is None else len(tables))
    done = 0
    entries = []
    for position, table in enumerate(tables, start=1):
        spec = _TableDump(table)

        def tick(n: int, name: str = table.name) -> None:
            nonlocal done
            done += n
            progress(min(done / total, 1.0), f"dumping {name}")

        rows_out = writer.lines(table_member(position, table.name, "rows"))
        if since is None or capture.whole_table_changed(conn, table.name, since):
            mode = "full" if since is None else "replace"
            _write_all(conn, spec, rows_out, tick if since is None else (lambda n: None))
            entries.append(spec.entry(mode, rows_out.count, rows_out.close(), None))
        else:
            deleted_out = writer.lines(table_member(position, table.name, "deleted"))
            _write_changes(conn, spec, since, rows_out, deleted_out)
            entries.append(
                spec.entry("changes", counts[table.name], rows_out.close(), deleted_out.close())
            )
        if since is not None:
            tick(1)
    return entries, counts


def write_backup(
    conn: Connection,
    *,
    directory: Path,
    kind: str,
    archive_id: str,
    created_at: dt.datetime,
    revision: str,
    app_version: str,
    tables: list[Table],
    media_root: Path,
    parent: Parent | None,
    progress: Progress = _ignore,
) -> DumpResult:
    """Dump the snapshot ``conn`` reads into a new archive under ``directory``."""
    point = capture.capture_point(conn)
    writer = ArchiveWriter(directory, archive_name(created_at, kind, archive_id))
    try:
        entries, counts = dump_tables(
            conn,
            writer,
            tables,
            since=parent.point if parent else None,
            progress=lambda f, m: progress(0.05 + 0.75 * f, m),
        )
        parent_index = None
        if parent is not None:
            with ArchiveReader(parent.path) as reader:
                parent_index = read_index(reader)
        media = dump_media(
            writer,
            media_root,
            archive_id,
            parent_index,
            progress=lambda f, m: progress(0.8 + 0.18 * f, m),
        )
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "id": archive_id,
            "type": kind,
            "created_at": created_at.astimezone(dt.timezone.utc).isoformat(),
            "app_version": app_version,
            "alembic_revision": revision,
            "source": {"dialect": conn.dialect.name},
            "parent": (
                {"id": parent.id, "file": parent.path.name, "sha256": parent.sha256}
                if parent
                else None
            ),
            "chain": [*parent.chain, parent.id] if parent else [],
            "tables": entries,
            "media": media,
        }
        progress(0.98, "writing the archive")
        path, size, sha256 = writer.finish(manifest)
    except BaseException:
        writer.abort()
        raise
    rows = sum(e["rows"]["count"] for e in entries)
    return DumpResult(path, size, sha256, manifest, point, rows=rows, counts=counts)
