"""Load archive rows into a database: typed decoding, fast bulk paths, incremental changes.

PostgreSQL is fed with ``COPY ... FROM STDIN`` (psycopg adapts the decoded Python values);
SQLite with ``executemany`` on the driver cursor, each value prepared by the SQLAlchemy
bind processor of the target column, so stored values look exactly as if the application
had written them. Both run on the caller's connection, inside its transaction, with
foreign-key enforcement off (see ``thebot.backups.engine.restore``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import ARRAY, Table, delete, tuple_
from sqlalchemy.engine import Connection

from thebot.backups.engine.archive import ArchiveReader
from thebot.backups.engine.format import CorruptArchive, IncompatibleArchive, decoder

BATCH = 5000
KEY_BATCH = 500
EPOCH = dt.datetime(1970, 1, 1)  # SQLAlchemy's Interval on SQLite: epoch + delta


def _json_binder(nullable: bool) -> Callable[[Any], Any]:
    def bind(value: Any) -> Any:
        if value is None:
            return None if nullable else "null"
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    return bind


def _interval_binder(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    def bind(value: Any) -> Any:
        if value is None:
            return None
        return process(EPOCH + value) if process else EPOCH + value

    return bind


def _binders(conn: Connection, table: Table, columns: list[str], tags: list[str]) -> list[Any]:
    """value -> DB-API value, per column, for the target database."""
    binders: list[Callable[[Any], Any] | None] = []
    sqlite = conn.dialect.name == "sqlite"
    for name, tag in zip(columns, tags, strict=True):
        column = table.columns[name]
        if tag == "json" and not isinstance(column.type, ARRAY):
            binders.append(_json_binder(bool(column.nullable)))
        elif not sqlite:
            binders.append(None)  # psycopg adapts Python values itself
        elif tag == "uuid":
            binders.append(lambda v: None if v is None else v.hex)
        else:
            process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            binders.append(_interval_binder(process) if tag == "interval" else process)
    return binders


def _converter(
    decode: Callable[[Any], Any], bind: Callable[[Any], Any] | None
) -> Callable[[Any], Any]:
    """archive value -> DB-API value: decoded, then bound when the database needs it."""
    if bind is None:
        return decode
    return lambda value: bind(decode(value))


def driver_of(conn: Connection) -> Any:
    """The DB-API connection under ``conn`` (for COPY and executemany)."""
    driver = conn.connection.driver_connection
    if driver is None:  # pragma: no cover - an open Connection always has one
        raise RuntimeError("the database connection is closed")
    return driver


class TableLoader:
    """Decode one table entry's lines and write them to the target table."""

    def __init__(self, conn: Connection, table: Table, entry: dict[str, Any], archive: str):
        missing = [c for c in entry["columns"] if c not in table.columns]
        if missing:
            raise IncompatibleArchive(
                f"{archive}: columns {missing} of {table.name} do not exist at the archive's "
                "schema revision"
            )
        self.conn = conn
        self.table = table
        self.entry = entry
        self.archive = archive
        self.columns = entry["columns"]
        decoders = [decoder(tag) for tag in entry["types"]]
        binders = _binders(conn, table, self.columns, entry["types"])
        self.convert = [_converter(d, b) for d, b in zip(decoders, binders, strict=True)]
        positions = {name: i for i, name in enumerate(self.columns)}
        self.key_positions = [positions[k] for k in entry["primary_key"]]
        self.key_columns = [table.columns[k] for k in entry["primary_key"]]
        self.key_decoders = [decoders[i] for i in self.key_positions]

    def _row(self, values: Any) -> list[Any]:
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise CorruptArchive(f"{self.archive}: malformed row in {self.table.name}")
        try:
            return [convert(v) for convert, v in zip(self.convert, values, strict=True)]
        except (TypeError, ValueError) as exc:
            raise CorruptArchive(
                f"{self.archive}: a value of {self.table.name} cannot be decoded ({exc})"
            ) from exc

    def insert(self, lines: Iterable[Any], tick: Callable[[int], None]) -> int:
        rows = (self._row(values) for values in lines)
        if self.conn.dialect.name == "postgresql":
            return self._copy(rows, tick)
        return self._executemany(rows, tick)

    def _copy(self, rows: Iterator[list[Any]], tick: Callable[[int], None]) -> int:
        quote = self.conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(c) for c in self.columns)
        sql = f"COPY {quote(self.table.name)} ({columns}) FROM STDIN"
        count = 0
        driver = driver_of(self.conn)
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
                if count % BATCH == 0:
                    tick(BATCH)
        tick(count % BATCH)
        return count

    def _executemany(self, rows: Iterator[list[Any]], tick: Callable[[int], None]) -> int:
        quote = self.conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(c) for c in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        # Quoted identifiers of a reflected table; values go through placeholders.
        sql = f"INSERT INTO {quote(self.table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
        cursor = driver_of(self.conn).cursor()
        count = 0
        batch: list[list[Any]] = []
        try:
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    tick(len(batch))
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
                tick(len(batch))
        finally:
            cursor.close()
        return count

    def keys(self, lines: Iterable[Any], from_rows: bool) -> Iterator[tuple[Any, ...]]:
        for values in lines:
            if not isinstance(values, list):
                raise CorruptArchive(f"{self.archive}: malformed line in {self.table.name}")
            key = [values[i] for i in self.key_positions] if from_rows else values
            if len(key) != len(self.key_columns):
                raise CorruptArchive(f"{self.archive}: malformed key in {self.table.name}")
            try:
                yield tuple(d(v) for d, v in zip(self.key_decoders, key, strict=True))
            except (TypeError, ValueError) as exc:
                raise CorruptArchive(
                    f"{self.archive}: a key of {self.table.name} cannot be decoded ({exc})"
                ) from exc

    def delete_keys(self, keys: Iterable[tuple[Any, ...]]) -> int:
        deleted = 0
        batch: list[tuple[Any, ...]] = []
        for key in keys:
            batch.append(key)
            if len(batch) >= KEY_BATCH:
                deleted += self._delete(batch)
                batch = []
        if batch:
            deleted += self._delete(batch)
        return deleted

    def _delete(self, batch: list[tuple[Any, ...]]) -> int:
        if len(self.key_columns) == 1:
            where = self.key_columns[0].in_([k[0] for k in batch])
        else:
            where = tuple_(*self.key_columns).in_(batch)
        return self.conn.execute(delete(self.table).where(where)).rowcount


def apply_archive(
    conn: Connection,
    reader: ArchiveReader,
    tables: dict[str, Table],
    tick: Callable[[int], None],
) -> int:
    """Apply one archive of a chain: a full one loads, an incremental changes rows."""
    loaded = 0
    for entry in reader.manifest["tables"]:
        table = tables.get(entry["name"])
        if table is None:
            raise IncompatibleArchive(
                f"{reader.name}: table {entry['name']} does not exist at the archive's "
                "schema revision"
            )
        loader = TableLoader(conn, table, entry, reader.name)
        if entry["mode"] == "replace":
            conn.execute(delete(table))
        elif entry["mode"] == "changes":
            # Every logged key goes first (updated rows come back below, deleted ones do
            # not): with constraints off, swapping unique values between rows cannot clash.
            loader.delete_keys(loader.keys(reader.lines(entry["deleted"]), from_rows=False))
            loader.delete_keys(loader.keys(reader.lines(entry["rows"]), from_rows=True))
        loaded += loader.insert(reader.lines(entry["rows"]), tick)
    return loaded
