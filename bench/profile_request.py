"""Where one request's time goes: the real app in process, timed and profiled.

    python bench/profile_request.py                                   # SQLite, /api/materials/
    python bench/profile_request.py --path /api/auth/me/ --rate-limits
    python bench/profile_request.py --database-url postgresql+psycopg://postgres@127.0.0.1/b

Seeds the school of ``bench/learning.py`` (or reuses ``--database-url`` when it is seeded
and ``--reuse`` is given), builds the WSGI app as ``learning.py --serve`` does, calls it
directly (no server, no sockets: a WSGI environ and a ``start_response``) as the users of a
token pool in turn, prints the service time (p50, mean) of ``--requests`` calls and then the
functions taking the most time under ``cProfile`` (cumulative), or the ``pyinstrument`` tree
with ``--pyinstrument`` (``pip install -e .[bench]``). The floor apps of ``floor.py`` are
timed the same way (``--floor``) so the difference is the application's own.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from typing import Any

WSGI_BASE = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "HTTP_HOST": "127.0.0.1",
    "wsgi.url_scheme": "http",
    "wsgi.version": (1, 0),
    "wsgi.multithread": True,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}


def call(app: Any, path: str, token: str) -> int:
    route, _, query = path.partition("?")
    environ = dict(WSGI_BASE, PATH_INFO=route, QUERY_STRING=query)
    environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    environ["wsgi.input"] = io.BytesIO(b"")
    environ["wsgi.errors"] = sys.stderr
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    if not status or not status[0].startswith("200"):
        raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
    return len(body)


def timed(app: Any, path: str, tokens: list[str], requests: int) -> dict[str, float]:
    """Wall-clock p50 and mean, and CPU time per request (this thread's: on a shared,
    loaded machine the CPU time moves less than the wall clock)."""
    times = []
    cpu = time.thread_time()
    for i in range(requests):
        started = time.perf_counter()
        call(app, path, tokens[i % len(tokens)])
        times.append((time.perf_counter() - started) * 1000)
    cpu = time.thread_time() - cpu
    return {
        "p50_ms": round(statistics.median(times), 3),
        "mean_ms": round(statistics.mean(times), 3),
        "cpu_ms": round(cpu * 1000 / requests, 3),
    }


# Where the time goes, per request: (label, file suffix, function name, which one of that
# name in the file by line order). Cumulative times include what they call.
COMPONENTS = (
    ("whole request (router)", "pyramid/router.py", "__call__", 0),
    ("pyramid_retry policy", "pyramid_retry/__init__.py", "retry_policy", 0),
    ("request id tween", "thebot/tweens.py", "tween", 0),
    ("gatekeeper tween (host, URL, CORS, headers)", "thebot/tweens.py", "tween", 1),
    ("metrics tween", "thebot/system/metrics.py", "tween", 0),
    ("outage tween", "thebot/outages.py", "tween", 0),
    ("pyramid_tm tween", "pyramid_tm/__init__.py", "tm_tween", 0),
    ("  identity (token hash + lookup + user)", "thebot/security.py", "_load_identity", 0),
    ("    request.dbsession set-up", "thebot/db/__init__.py", "dbsession", 0),
    ("  rate limit tween", "auth/ratelimit.py", "tween", 0),
    ("    rate limit storage hits", "auth/ratelimit.py", "hit", 0),
    ("  transaction commit", "pyramid_tm/__init__.py", "_finish", 0),
    ("  exception view tween", "pyramid/tweens.py", "excview_tween", 0),
    ("    route match + view lookup", "pyramid/router.py", "handle_request", 0),
    ("    colander validation", "thebot/api.py", "validate", 0),
    ("    cornice wrapper (validation + view)", "cornice/service.py", "wrapper", 0),
    ("    rendering (orjson)", "cornice/renderer.py", "render", 0),
    ("    ETag", "thebot/responses.py", "etag_of", 0),
)


def components(stats: pstats.Stats, requests: int) -> str:
    """The ``COMPONENTS`` table: cumulative ms per request (under the profiler)."""
    found: dict[tuple[str, str], list[tuple[int, float]]] = {}
    wanted = {(suffix, fname) for _, suffix, fname, _ in COMPONENTS}
    for (file, line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        for suffix, fname in wanted:
            if file.endswith(suffix) and name == fname:
                found.setdefault((suffix, fname), []).append((line, row[3]))
    lines = [f"{'component':<46} {'ms/request (cumulative, profiled)':>34}"]
    for label, suffix, fname, index in COMPONENTS:
        entries = sorted(found.get((suffix, fname), []))
        value = entries[index][1] * 1000 / requests if len(entries) > index else 0.0
        lines.append(f"{label:<46} {value:>34.3f}")
    return "\n".join(lines)


def profile(app: Any, path: str, tokens: list[str], requests: int, args: Any) -> str:
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        profiler.start()
        for i in range(requests):
            call(app, path, tokens[i % len(tokens)])
        profiler.stop()
        return profiler.output_text(unicode=False, color=False, show_all=False)
    prof = cProfile.Profile(time.thread_time)  # CPU time: a loaded machine skews less
    prof.enable()
    for i in range(requests):
        call(app, path, tokens[i % len(tokens)])
    prof.disable()
    if args.dump:
        prof.dump_stats(args.dump)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats(args.sort)
    stats.print_stats(args.top)
    return out.getvalue() + "\n" + components(stats, requests)


def statement_times(app: Any, path: str, tokens: list[str], requests: int) -> str:
    """``--statements``: each SQL statement's wall time (cursor execute to its end, fetching
    excluded) per request, grouped by the statement's first 70 characters."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    totals: dict[str, list[float]] = {}

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["bench.started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        spent = time.perf_counter() - conn.info.pop("bench.started")
        totals.setdefault(" ".join(statement.split())[:70], []).append(spent * 1000)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    started = time.perf_counter()
    try:
        for i in range(requests):
            call(app, path, tokens[i % len(tokens)])
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)
    wall = (time.perf_counter() - started) * 1000 / requests
    lines = [f"{'ms/request':>10} {'calls/request':>13}  statement (wall {wall:.2f} ms/request)"]
    for text, spent in sorted(totals.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"{sum(spent) / requests:>10.3f} {len(spent) / requests:>13.2f}  {text}")
    return "\n".join(lines)


def build_app(database_url: str, media: str, rate_limits: bool, redis_url: str | None) -> Any:
    from learning import app_settings

    from thebot import main

    settings = app_settings(database_url, redis_url, media)
    if rate_limits:  # on, with limits the run never reaches: the cost of counting, no 429s
        settings.update(
            rate_limit_enabled="true", api_rate_limit="100000/hour", api_burst_limit="1000/second"
        )
    return main({}, **settings)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL database")
    parser.add_argument("--path", default="/api/materials/?limit=20")
    parser.add_argument("--role", default="student")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rate-limits", action="store_true")
    parser.add_argument("--redis-url", help="rate limits (and caches) in Redis")
    parser.add_argument("--floor", action="store_true", help="time the floor apps too")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--statements", action="store_true", help="each SQL statement's wall time per request"
    )
    parser.add_argument(
        "--no-dashboard-cache", action="store_true", help="dashboards computed every request"
    )
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--dump", help="write the cProfile stats to this file (pstats)")
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    from floor import floor_app
    from learning_seed import prepare_database

    from thebot.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="thebot-profile-") as tmp:
        from learning import app_settings

        url = args.database_url or f"sqlite:///{tmp}/learning.sqlite"
        settings = load_settings(app_settings(url, None, tmp), environ={})
        tokens = prepare_database(settings, args.reset, seed=4, pool=64)["tokens"][args.role]
        app = build_app(url, tmp, args.rate_limits, args.redis_url)
        if args.no_dashboard_cache:
            from learning import without_dashboard_cache

            without_dashboard_cache(app)
        for i in range(200):  # warm: statement caches, connections
            call(app, args.path, tokens[i % len(tokens)])
        print(f"app {args.path}: {timed(app, args.path, tokens, args.requests)}")
        if args.floor:
            for kind in ("bare", "pyramid"):
                floor = floor_app(kind, url)
                timed(floor, "/floor/", tokens, 200)
                print(f"floor {kind}: {timed(floor, '/floor/', tokens, args.requests)}")
        if args.statements:
            print(statement_times(app, args.path, tokens, args.requests))
        if not args.no_profile:
            print(profile(app, args.path, tokens, args.requests, args))


if __name__ == "__main__":
    cli()
