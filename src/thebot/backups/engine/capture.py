# ruff: noqa: S608 - this module writes SQL from our own table names (quoted) and constants;
# every value is a bound parameter.
"""Change capture for incremental backups: generated triggers feeding ``backup_change``.

Why triggers and not ORM events: the code base changes rows with Core statements that never
pass through a session flush (``update(AuthToken)...`` to revoke tokens, bulk session
clean-ups), and the database itself changes rows through ``ON DELETE CASCADE`` / ``SET
NULL``. A trigger sees every one of those, in the same transaction as the change, so a
change is logged if and only if it commits. The triggers are generated for every table
of ``Base.metadata`` (new tables are covered without code changes) and (re)installed by
``ensure_capture`` before each backup and after a restore; installing them also logs a
``T`` marker, telling the next incremental to copy that table whole, since changes made
before the trigger existed were not logged.

Which log rows belong to an incremental:

* SQLite has one writer at a time, so the ``AUTOINCREMENT`` sequence follows commit order:
  a backup remembers the highest sequence number its snapshot saw; the next incremental
  takes the rows above it.
* PostgreSQL hands out sequence numbers before commit, so a number below the watermark can
  commit after the snapshot. Each log row records its transaction id instead; a backup
  remembers its snapshot (``txid_current_snapshot()``), and the next incremental takes the
  rows whose transaction that snapshot did not see (``txid_visible_in_snapshot``).

Deleted rows and the old key of an updated primary key are logged as ``D``; the dump then
treats every logged key alike: if the row exists in the snapshot it is written, otherwise
its key goes to the deleted list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.engine import Connection

from thebot.backups.models import CHANGE_TABLE, EXCLUDED_TABLES

PREFIX = "bkc_"
CAPTURE_VERSION = "1"
LIKE_OURS = {"pattern": "bkc\\_%"}


def backup_tables() -> list[Table]:
    """Every table a backup holds, in foreign-key order (parents first)."""
    from thebot import import_models

    metadata = import_models()
    return [t for t in metadata.sorted_tables if t.name not in EXCLUDED_TABLES]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _base_name(table: Table, dialect: str) -> str:
    key = [c.name for c in table.primary_key.columns]
    digest = hashlib.sha256(
        repr((CAPTURE_VERSION, dialect, table.name, key)).encode()
    ).hexdigest()[:8]
    return f"{PREFIX}{table.name[:40]}_{digest}"


def _sqlite_triggers(table: Table, quote: Any) -> dict[str, str]:
    base = _base_name(table, "sqlite")
    name, lit = quote(table.name), _literal(table.name)
    key = [quote(c.name) for c in table.primary_key.columns]
    new = ", ".join(f"NEW.{k}" for k in key)
    old = ", ".join(f"OLD.{k}" for k in key)
    moved = " OR ".join(f"OLD.{k} IS NOT NEW.{k}" for k in key)
    log = "INSERT INTO backup_change (table_name, op, pk)"
    return {
        f"{base}_i": f'CREATE TRIGGER "{base}_i" AFTER INSERT ON {name} FOR EACH ROW BEGIN '
        f"{log} VALUES ({lit}, 'I', json_array({new})); END",
        f"{base}_u": f'CREATE TRIGGER "{base}_u" AFTER UPDATE ON {name} FOR EACH ROW BEGIN '
        f"{log} SELECT {lit}, 'D', json_array({old}) WHERE {moved}; "
        f"{log} VALUES ({lit}, 'U', json_array({new})); END",
        f"{base}_d": f'CREATE TRIGGER "{base}_d" AFTER DELETE ON {name} FOR EACH ROW BEGIN '
        f"{log} VALUES ({lit}, 'D', json_array({old})); END",
    }


def _postgresql_triggers(table: Table, quote: Any) -> tuple[str, dict[str, str]]:
    base = _base_name(table, "postgresql")
    name, lit = quote(table.name), _literal(table.name)
    key = [quote(c.name) for c in table.primary_key.columns]
    new = ", ".join(f"NEW.{k}" for k in key)
    old = ", ".join(f"OLD.{k}" for k in key)
    log = "INSERT INTO backup_change (table_name, op, pk, txid) VALUES (" + lit
    function = f"""CREATE OR REPLACE FUNCTION "{base}"() RETURNS trigger LANGUAGE plpgsql AS $bkc$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    {log}, 'T', NULL, txid_current());
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    {log}, 'D', json_build_array({old})::text, txid_current());
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND ROW({old}) IS DISTINCT FROM ROW({new}) THEN
    {log}, 'D', json_build_array({old})::text, txid_current());
  END IF;
  {log}, CASE WHEN TG_OP = 'INSERT' THEN 'I' ELSE 'U' END,
    json_build_array({new})::text, txid_current());
  RETURN NULL;
END
$bkc$"""
    triggers = {
        base: f'CREATE TRIGGER "{base}" AFTER INSERT OR UPDATE OR DELETE ON {name} '
        f'FOR EACH ROW EXECUTE FUNCTION "{base}"()',
        f"{base}_t": f'CREATE TRIGGER "{base}_t" AFTER TRUNCATE ON {name} '
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{base}"()',
    }
    return function, triggers


def installed_triggers(conn: Connection) -> dict[str, set[str]]:
    """Our capture triggers in the database: table name -> trigger names."""
    if conn.dialect.name == "sqlite":
        sql = (
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE :pattern ESCAPE '\\'"
        )
    else:
        sql = (
            "SELECT c.relname, t.tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema() "
            "AND t.tgname LIKE :pattern"
        )
    found: dict[str, set[str]] = {}
    for table_name, trigger in conn.execute(text(sql), LIKE_OURS):
        found.setdefault(table_name, set()).add(trigger)
    return found


def _drop(conn: Connection, table_name: str, triggers: Iterable[str]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for trigger in sorted(triggers):
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{trigger}"')
        else:
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{trigger}" ON {quote(table_name)}')
            if not trigger.endswith("_t"):
                conn.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{trigger}"()')


def _mark_whole_table(conn: Connection, table_name: str) -> None:
    txid = "txid_current()" if conn.dialect.name == "postgresql" else "NULL"
    conn.execute(
        text(
            f"INSERT INTO backup_change (table_name, op, pk, txid) VALUES (:t, 'T', NULL, {txid})"
        ),
        {"t": table_name},
    )


def ensure_capture(conn: Connection, tables: list[Table] | None = None) -> list[str]:
    """Install or refresh the triggers of every backed-up table; returns the tables changed.

    Idempotent: tables whose triggers are current are left alone. Run it in a transaction
    that commits before the backup's snapshot begins.
    """
    tables = backup_tables() if tables is None else tables
    quote = conn.dialect.identifier_preparer.quote
    present = installed_triggers(conn)
    wanted = {t.name for t in tables}
    for stale in sorted(set(present) - wanted):
        _drop(conn, stale, present[stale])
    changed = []
    for table in tables:
        if conn.dialect.name == "sqlite":
            function, triggers = None, _sqlite_triggers(table, quote)
        else:
            function, triggers = _postgresql_triggers(table, quote)
        if present.get(table.name, set()) == set(triggers):
            continue
        _drop(conn, table.name, present.get(table.name, ()))
        if function is not None:
            conn.exec_driver_sql(function)
        for statement in triggers.values():
            conn.exec_driver_sql(statement)
        _mark_whole_table(conn, table.name)
        changed.append(table.name)
    return changed


def drop_capture_functions(conn: Connection) -> None:
    """PostgreSQL: remove every capture function (and with it its triggers)."""
    if conn.dialect.name != "postgresql":
        return
    names = conn.execute(
        text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE :pattern"
        ),
        LIKE_OURS,
    ).scalars()
    for name in list(names):
        conn.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{name}"() CASCADE')


# --- change points: what a backup's snapshot has seen ------------------------------------


def capture_point(conn: Connection) -> str:
    """The change point of the snapshot ``conn`` reads in (call inside that transaction)."""
    if conn.dialect.name == "postgresql":
        return str(conn.exec_driver_sql("SELECT txid_current_snapshot()::text").scalar_one())
    seq = conn.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": CHANGE_TABLE}
    ).scalar()
    return str(int(seq or 0))


def _window(conn: Connection) -> str:
    """SQL condition: a log row written after the change point ``:since``."""
    if conn.dialect.name == "postgresql":
        return (
            "txid >= txid_snapshot_xmin(CAST(:since AS txid_snapshot)) "
            "AND NOT txid_visible_in_snapshot(txid, CAST(:since AS txid_snapshot))"
        )
    return "seq > CAST(:since AS INTEGER)"


def whole_table_changed(conn: Connection, table_name: str, since: str) -> bool:
    """Was capture (re)installed, or the table truncated, after ``since``?"""
    row = conn.execute(
        text(
            "SELECT 1 FROM backup_change WHERE table_name = :t AND op = 'T' "
            f"AND {_window(conn)} LIMIT 1"
        ),
        {"t": table_name, "since": since},
    ).first()
    return row is not None


def changed_keys(conn: Connection, table_name: str, since: str) -> Iterator[str]:
    """Distinct JSON primary keys of rows of ``table_name`` changed after ``since``."""
    result = conn.execute(
        text(
            "SELECT DISTINCT pk FROM backup_change WHERE table_name = :t AND op <> 'T' "
            f"AND {_window(conn)}"
        ),
        {"t": table_name, "since": since},
        execution_options={"yield_per": 5000},
    )
    for (pk,) in result:
        yield pk


def prune_changes(conn: Connection, point: str) -> int:
    """Delete log rows that the backup at ``point`` (the newest one) already holds."""
    if conn.dialect.name == "postgresql":
        sql = (
            "DELETE FROM backup_change WHERE txid < txid_snapshot_xmin(CAST(:p AS txid_snapshot))"
        )
    else:
        sql = "DELETE FROM backup_change WHERE seq <= CAST(:p AS INTEGER)"
    return conn.execute(text(sql), {"p": point}).rowcount
