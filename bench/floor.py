"""The floor of our stack: the work of an authenticated list, without the application.

Two WSGI apps serve ``GET /floor/`` with the same shape of work as ``/api/materials/?limit=20``
on the database ``bench/learning_seed.py`` fills: look the ``Authorization: Token`` key up by
its SHA-256 in ``auth_token`` joined to its active ``user_account`` (live, not revoked), then
read 20 materials (11 columns, newest first) and answer them as JSON (orjson).

* ``bare``: a WSGI function on the DB-API driver (``sqlite3`` or psycopg), one connection per
  thread, statements as text;
* ``pyramid``: a Configurator with one Cornice service (orjson renderer), SQLAlchemy Core
  (``text()`` statements built once, the pool of an engine), no tweens, no transaction
  manager, no security policy.

``bench/learning.py --floor`` serves both next to the real app and interleaves them with the
real endpoints (``floor_rounds`` below); run it, not this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from typing import Any

import orjson

MATERIAL_COLUMNS = (
    "id, title, type, status, published_at, video_url, is_public, tags, difficulty, "
    "created_at, updated_at"
)
TOKEN_SQL = (
    "SELECT u.id, u.role FROM auth_token t JOIN user_account u ON u.id = t.user_id "  # noqa: S105
    "WHERE t.key_hash = {p} AND t.revoked_at IS NULL AND t.expires_at > {p} AND u.is_active"
)
ROWS_SQL = (
    f"SELECT {MATERIAL_COLUMNS} FROM material WHERE status = 'active' "  # noqa: S608
    "ORDER BY created_at DESC, id DESC LIMIT 20"
)
NAMES = tuple(c.strip() for c in MATERIAL_COLUMNS.split(","))
UNAUTHORIZED = (b"401 Unauthorized", b'{"title":"Unauthorized"}')


def key_of(environ: dict[str, Any]) -> str | None:
    scheme, _, key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    return key.strip() if scheme.lower() in {"token", "bearer"} and key.strip() else None


def now_param(sqlite: bool) -> Any:
    """``now`` as the driver compares it with ``expires_at`` (SQLAlchemy's SQLite text form)."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now


def bare_app(database_url: str) -> Any:
    """The floor: a WSGI callable doing the work with the driver alone."""
    sqlite = database_url.startswith("sqlite")
    local = threading.local()
    if sqlite:
        import sqlite3

        path = database_url.split("///", 1)[1]
        connect = lambda: sqlite3.connect(path, check_same_thread=False)  # noqa: E731
        token_sql = TOKEN_SQL.format(p="?")
    else:
        import psycopg

        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        connect = lambda: psycopg.connect(url, autocommit=True)  # noqa: E731
        token_sql = TOKEN_SQL.format(p="%s")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connect()
        key = key_of(environ)
        cursor = conn.cursor()
        user = None
        if key:
            digest = hashlib.sha256(key.encode()).hexdigest()
            cursor.execute(token_sql, (digest, now_param(sqlite)))
            user = cursor.fetchone()
        if user is None:
            status, body = UNAUTHORIZED
        else:
            cursor.execute(ROWS_SQL)
            items = [dict(zip(NAMES, row, strict=True)) for row in cursor.fetchall()]
            status, body = b"200 OK", orjson.dumps({"items": items, "next_cursor": None})
        cursor.close()
        start_response(
            status.decode(),
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


def pyramid_app(database_url: str) -> Any:
    """The framework floor: Pyramid + one Cornice service + SQLAlchemy Core, nothing else."""
    from cornice import Service
    from cornice.renderer import CorniceRenderer
    from pyramid.config import Configurator
    from pyramid.httpexceptions import HTTPUnauthorized
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, pool_size=4)
    sqlite = engine.dialect.name == "sqlite"
    token_sql = text(
        TOKEN_SQL.replace("{p} AND t.revoked", ":key_hash AND t.revoked").replace("{p}", ":now")
    )
    rows_sql = text(ROWS_SQL)
    floor = Service(name="floor", path="/floor/")

    @floor.get(renderer="orjson")
    def get_floor(request: Any) -> dict[str, Any]:
        key = key_of(request.environ)
        with engine.connect() as conn:
            user = None
            if key:
                digest = hashlib.sha256(key.encode()).hexdigest()
                params = {"key_hash": digest, "now": now_param(sqlite)}
                user = conn.execute(token_sql, params).first()
            if user is None:
                raise HTTPUnauthorized()
            items = [row._asdict() for row in conn.execute(rows_sql)]
        return {"items": items, "next_cursor": None}

    with Configurator() as config:
        config.include("cornice")
        config.add_renderer("orjson", CorniceRenderer(serializer=orjson.dumps))
        config.add_cornice_service(floor)
    return config.make_wsgi_app()


def floor_app(kind: str, database_url: str) -> Any:
    return bare_app(database_url) if kind == "bare" else pyramid_app(database_url)


# --- the interleaved run (``bench/learning.py --floor``) -------------------------------------

# (label, server, path): every path is called as the student role's token pool.
COMPARED = (
    ("bare WSGI floor", "bare", "/floor/"),
    ("Pyramid + Cornice floor", "pyramid", "/floor/"),
    ("materials list (student)", "thebot", "/api/materials/?limit=20"),
    ("auth/me (student)", "thebot", "/api/auth/me/"),
)


def floor_rounds(args: Any, tokens: list[str], start: Any, measure: Any, stop: Any) -> dict:
    """Serve the floors and the app side by side; ``args.floor`` rounds, each measuring every
    endpoint at ``args.clients`` clients and then at one client, in the same order.

    Interleaving puts the floor and the real endpoints under the same machine conditions
    (other processes, CPU frequency): a share is computed within each round.
    """
    servers: dict[str, tuple[int, list]] = {}
    try:
        for kind in ("bare", "pyramid", "thebot"):
            servers[kind] = start(kind)
        rounds = []
        for _ in range(args.floor):
            results: dict[str, dict] = {}
            for label, kind, path in COMPARED:
                port = servers[kind][0]
                measure(port, path, tokens, len(tokens), args.clients)  # warm every user
                results[label] = measure(port, path, tokens, args.requests, args.clients)
                results[label]["single"] = measure(port, path, tokens, args.single, 1)
            rounds.append(results)
        return {"rounds": rounds}
    finally:
        for _, procs in servers.values():
            stop(procs)


def floor_report(summary: dict) -> str:
    """Per endpoint, over the rounds: req/s and its share of the bare floor's in the same
    round, p50/p99 at ``clients``, single-client p50 and its ratio to the bare floor's."""
    rounds = summary["floor"]["rounds"]

    def span(values: list[float], digits: int = 2) -> str:
        low, high = min(values), max(values)
        return f"{low:.{digits}f}" if low == high else f"{low:.{digits}f}-{high:.{digits}f}"

    lines = [
        f"{summary['backend']}: {len(rounds)} interleaved rounds, {summary['clients']} clients "
        f"x {summary['requests']} requests and 1 client x {summary['single']} per endpoint per "
        f"round; {summary['workers']} x {summary['threads']} waitress threads per app; "
        f"{summary['cpus']} CPUs, load average {summary['load_before']} before, "
        f"{summary['load_after']} after; CPU reference {summary['cpu_reference_ms']} ms",
        f"{'endpoint':<26} {'req/s':>11} {'share':>9} {'p50 ms':>9} {'p99 ms':>11} "
        f"{'1-client p50':>12} {'x floor':>9}",
    ]
    for label, _, _ in COMPARED:
        rates = [r[label]["per_second"] for r in rounds]
        shares = [r[label]["per_second"] / r["bare WSGI floor"]["per_second"] for r in rounds]
        single = [r[label]["single"]["p50_ms"] for r in rounds]
        ratio = [
            r[label]["single"]["p50_ms"] / r["bare WSGI floor"]["single"]["p50_ms"] for r in rounds
        ]
        lines.append(
            f"{label:<26} {span(rates, 0):>11} {span(shares):>9} "
            f"{span([r[label]['p50_ms'] for r in rounds], 1):>9} "
            f"{span([r[label]['p99_ms'] for r in rounds], 1):>11} {span(single):>12} "
            f"{span(ratio, 1):>9}"
        )
    return "\n".join(lines)
