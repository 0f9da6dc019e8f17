"""Backup and restore of a large database: time and peak memory (RSS) of each step.

    python bench/backup_restore.py [--rows 1000000] [--database-url URL] [--media-files 200]

Builds a fresh database (SQLite in a temporary directory, or the PostgreSQL database named
by ``--database-url``, which is DROPPED and re-created, with ``<name>_restore`` beside it),
fills ``--rows`` rows (users, notifications, audit events) plus media files, then measures:
a full backup, an incremental after 1 % of the rows changed, verify (checksums + trial
restore into scratch SQLite), and a restore of the chain into an empty database, whose row
counts are compared with the source. Prints a JSON summary. Memory is the process RSS,
sampled every 20 ms; ``rss_growth_mb`` is the peak above the RSS when the step began.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from thebot import main
from thebot.backups.operations import create_backup, restore, verify_backup
from thebot.backups.service import catalog, request_backup
from thebot.db.migrate import upgrade

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
BATCH = 10_000


class PeakRSS:
    """Sample this process's RSS in a thread while a step runs."""

    def __init__(self) -> None:
        self.process = psutil.Process(os.getpid())

    def measure(self, step: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
        start = self.process.memory_info().rss
        peak = start
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.wait(0.02):
                peak = max(peak, self.process.memory_info().rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.perf_counter()
        try:
            result = step()
        finally:
            seconds = time.perf_counter() - began
            stop.set()
            sampler.join()
        peak = max(peak, self.process.memory_info().rss)
        return result, {
            "seconds": round(seconds, 2),
            "rss_peak_mb": round(peak / 2**20, 1),
            "rss_growth_mb": round((peak - start) / 2**20, 1),
        }


def fresh_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def build_app(url: str, root: Path) -> Any:
    return main(
        {},
        debug="true",
        secret_key="b" * 64,
        allowed_hosts="localhost",
        database_url=url,
        task_broker="stub",
        media_root=str(root / "media"),
        backup_dir=str(root / "backups"),
        mail_dir=str(root / "mail"),
    )


def sqlite_time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def rows_of(kind: str, count: int, users: int, sqlite: bool) -> Iterator[tuple]:
    stamp = sqlite_time if sqlite else (lambda v: v)
    for n in range(1, count + 1):
        at = stamp(T0 + dt.timedelta(seconds=n))
        if kind == "user_account":
            yield (
                n,
                f"user{n}@example.com",
                f"user{n}",
                f"First {n}",
                "Last",
                None,
                "student",
                True,
                False,
                None,
                None if n == 1 else 1,
                at,
                at,
                None,
            )
        elif kind == "notification":
            data = json.dumps({"lesson_id": n, "at": "2026-12-01T15:00:00+03:00", "n": [1, 2]})
            yield (
                n,
                1 + n % users,
                "lesson",
                f"Урок {n}",
                "Body " * 8,
                data,
                at,
                None if n % 3 else at,
            )
        else:
            details = json.dumps({"ip": "192.0.2.1", "n": n})
            yield (
                n,
                1 + n % users,
                at,
                "login",
                "user",
                str(n),
                "192.0.2.1",
                "bench",
                f"req-{n}",
                details,
            )


COLUMNS = {
    "user_account": "id, email, username, first_name, last_name, phone, role, is_active, "
    "is_staff, password_hash, created_by_id, created_at, updated_at, last_login",
    "notification": "id, user_id, kind, title, body, data, created_at, read_at",
    "audit_event": "id, actor_id, created_at, action, target_type, target_id, ip, "
    "user_agent, request_id, details",
}


def fill(engine: Any, total: int, media: Path, files: int) -> dict[str, int]:
    """Bulk rows straight through the driver (the bench measures backups, not inserts)."""
    users = max(1, total // 20)
    audit = total // 10
    plan = {"user_account": users, "notification": total - users - audit, "audit_event": audit}
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        driver = conn.connection.driver_connection
        for table, count in plan.items():
            rows = rows_of(table, count, users, sqlite)
            if sqlite:
                marks = ", ".join("?" for _ in COLUMNS[table].split(","))
                sql = f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})"  # noqa: S608
                batch: list[tuple] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == BATCH:
                        driver.executemany(sql, batch)
                        batch = []
                driver.executemany(sql, batch)
            else:
                with driver.cursor() as cursor:
                    with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})"
                    )
    for n in range(files):
        path = media / f"uploads/{n % 10}/file{n}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(16_384) + bytes(32_768))  # half random, half compressible
    return plan


def change_one_percent(engine: Any, plan: dict[str, int], media: Path) -> None:
    step = 100
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE notification SET read_at = created_at WHERE id % :s = 0"), {"s": step}
        )
        conn.execute(text("DELETE FROM audit_event WHERE id % :s = 1"), {"s": step})
    (media / "uploads/0/file0.bin").write_bytes(b"changed")


def take(app: Any, request: Any, kind: str) -> Any:
    with catalog(app.registry) as session:
        backup_id = request_backup(session, kind).id
    record = create_backup(request, backup_id)
    if record.status != "completed":
        raise SystemExit(f"backup failed: {record.error}")
    return record


def counts(engine: Any, tables: list[str]) -> dict[str, int]:
    """Rows per table; the audit event a restore adds about itself is not counted."""
    with engine.connect() as conn:
        found = {
            t: conn.execute(select(func.count()).select_from(text(t))).scalar_one() for t in tables
        }
        found["audit_event"] -= conn.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'backup_restored'")
        ).scalar_one()
        return found


def run(rows: int, url: str | None, files: int) -> dict[str, Any]:
    from pyramid.scripting import prepare

    with tempfile.TemporaryDirectory(prefix="thebot-bench-") as tmp:
        root = Path(tmp)
        source_url = url or f"sqlite:///{root / 'source.sqlite'}"
        parsed = make_url(source_url)
        target_url = (
            parsed.set(database=f"{parsed.database}_restore").render_as_string(False)
            if url
            else f"sqlite:///{root / 'target.sqlite'}"
        )
        fresh_database(source_url)
        fresh_database(target_url)
        source = build_app(source_url, root / "source")
        engine = source.registry["dbengine"]
        with engine.begin() as conn:
            upgrade(source.registry.settings, connection=conn)
        began = time.perf_counter()
        plan = fill(engine, rows, root / "source" / "media", files)
        fill_seconds = round(time.perf_counter() - began, 1)
        env = prepare(registry=source.registry)
        meter = PeakRSS()
        full, full_stats = meter.measure(lambda: take(source, env["request"], "full"))
        change_one_percent(engine, plan, root / "source" / "media")
        expected = counts(engine, list(plan))  # what the incremental's snapshot will see
        incremental, incremental_stats = meter.measure(
            lambda: take(source, env["request"], "incremental")
        )
        checked, verify_stats = meter.measure(lambda: verify_backup(env["request"], full.id))
        target = build_app(target_url, root / "target")
        target_env = prepare(registry=target.registry)
        restored, restore_stats = meter.measure(
            lambda: restore(target_env["request"], path=Path(incremental.path))
        )
        got = counts(target.registry["dbengine"], list(plan))
        if restored.restore_status != "completed" or got != expected:
            raise SystemExit(f"restore mismatch: {restored.restore_error} {got} != {expected}")
        summary = {
            "database": parsed.get_backend_name(),
            "rows": sum(plan.values()),
            "tables": plan,
            "media_files": files,
            "fill_seconds": fill_seconds,
            "full_backup": {**full_stats, "archive_mb": round(full.size / 2**20, 1)},
            "incremental_backup": {
                **incremental_stats,
                "archive_mb": round(incremental.size / 2**20, 2),
                "rows": incremental.summary["rows"],
                "deleted": incremental.summary["deleted"],
            },
            "verify_full": {**verify_stats, "result": checked.verify_status},
            "restore_full_plus_incremental": {
                **restore_stats,
                "into": make_url(target_url).get_backend_name(),
                "rows_loaded": restored.restore_details["rows"],
            },
        }
        env["closer"]()
        target_env["closer"]()
        source.registry["dbengine"].dispose()
        target.registry["dbengine"].dispose()
        return summary


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="PostgreSQL scratch database (re-created)")
    parser.add_argument("--media-files", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.database_url, args.media_files), indent=2))


if __name__ == "__main__":
    cli()
