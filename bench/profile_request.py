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
    times = []
    for i in range(requests):
        started = time.perf_counter()
        call(app, path, tokens[i % len(tokens)])
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(times), 3),
        "mean_ms": round(statistics.mean(times), 3),
    }


def profile(app: Any, path: str, tokens: list[str], requests: int, args: Any) -> str:
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        profiler.start()
        for i in range(requests):
            call(app, path, tokens[i % len(tokens)])
        profiler.stop()
        return profiler.output_text(unicode=False, color=False, show_all=False)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(requests):
        call(app, path, tokens[i % len(tokens)])
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats(args.sort)
    stats.print_stats(args.top)
    return out.getvalue()


def build_app(database_url: str, media: str, rate_limits: bool) -> Any:
    from learning import app_settings

    from thebot import main

    settings = app_settings(database_url, None, media)
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
    parser.add_argument("--floor", action="store_true", help="time the floor apps too")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--sort", default="cumulative")
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
        app = build_app(url, tmp, args.rate_limits)
        for i in range(200):  # warm: statement caches, connections
            call(app, args.path, tokens[i % len(tokens)])
        print(f"app {args.path}: {timed(app, args.path, tokens, args.requests)}")
        if args.floor:
            for kind in ("bare", "pyramid"):
                floor = floor_app(kind, url)
                timed(floor, "/floor/", tokens, 200)
                print(f"floor {kind}: {timed(floor, '/floor/', tokens, args.requests)}")
        if not args.no_profile:
            print(profile(app, args.path, tokens, args.requests, args))


if __name__ == "__main__":
    cli()
