"""Learning endpoints under load: the materials list and the four dashboards.

    python bench/learning.py                                  # SQLite file in a temp dir
    python bench/learning.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench --reset

Seeds a realistic school with bulk Core inserts (``learning_seed.py``: 2,000 students, 1,600
parents, 120 teachers + 80 tutors, 50 subjects, 8,000 enrollments, 20,000 materials, 10,000
assignments, 200,000 progress rows, 6,000 homework submissions), starts the app under
waitress as ``--workers`` processes (default: one per CPU) of ``--threads`` threads each
(default 1) sharing one port, and drives authenticated GETs from ``--clients`` concurrent
keep-alive clients (default 16; ``loadgen.py``, one thread), ``--requests`` per endpoint,
each request as the next user of a pool per role. Every user of the pool calls an endpoint
once before it is measured (warm connections and caches). Prints requests/s and p50/p99
latency per endpoint and writes them to
``bench/results/learning-<backend>-<clients>clients-<workers>x<threads>threads.json``.
``GET /api/auth/me/`` is measured first as a baseline: token authentication and one small
body, the floor under every endpoint.

The header also gives a CPU reference: the best of five runs of a fixed pure-Python loop
(``cpu_reference``), so results from machines of different speeds can be compared (the
same commit's latencies scale with it).

``--against OTHER/src --rounds N`` compares two versions of the code on one seeded database:
in each of N rounds the uncached endpoints are measured under servers importing ``thebot``
from ``OTHER/src`` (``PYTHONPATH``: e.g. ``git worktree add /tmp/before <commit>``; it must
know the database's migrations) and then under this checkout's, and the p99s of both are
printed side by side: on a shared machine whose speed drifts by tens of percent within
minutes, only interleaved rounds tell a change from the drift.

Dashboards are measured twice: with the ``dashboard`` cache off (every request computes it:
the worst case, what a write's invalidation leads to) and on (the usual case). API rate
limits are switched off for the run. Only loopback traffic; bounded request counts.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import loadgen
from floor import floor_report, floor_rounds

HERE = Path(__file__).resolve().parent
ENDPOINTS = (  # (label, path, role whose tokens call it)
    ("baseline: auth/me (student)", "/api/auth/me/", "student"),  # token auth + one user
    ("materials list (student)", "/api/materials/", "student"),
    ("materials list (parent)", "/api/materials/", "parent"),
    ("materials list (teacher)", "/api/materials/", "teacher"),
    ("dashboard student", "/api/dashboard/student/", "student"),
    ("dashboard teacher", "/api/dashboard/teacher/", "teacher"),
    ("dashboard tutor", "/api/dashboard/tutor/", "tutor"),
    ("dashboard parent", "/api/dashboard/parent/", "parent"),
)


def app_settings(database_url: str, redis_url: str | None, media_root: str) -> dict[str, str]:
    return {
        "debug": "true",
        "secret_key": "bench-" + "b" * 64,
        "allowed_hosts": "127.0.0.1 localhost",
        "database_url": database_url,
        "redis_url": redis_url or "",
        "task_broker": "stub",
        "rate_limit_enabled": "false",
        "media_root": media_root,
        "db_pool_size": "10",
    }


# --- the server ------------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """``--serve``: the app under waitress (run as a subprocess of the benchmark).

    The listening socket has ``SO_REUSEPORT``: with ``--workers`` N, N such processes share
    the port and the kernel spreads connections over them, as a reverse proxy with one
    upstream per process would (see README, "Deployment").
    """
    from waitress import serve as waitress_serve

    from thebot import main

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", args.port))
    with tempfile.TemporaryDirectory() as media:
        if args.app != "thebot":  # bench/floor.py: the same work without the application
            from floor import floor_app

            app = floor_app(args.app, args.database_url)
        else:
            app = main({}, **app_settings(args.database_url, args.redis_url, media))
        if args.no_dashboard_cache and args.app == "thebot":
            without_dashboard_cache(app)
        waitress_serve(app, sockets=[sock], threads=args.threads, _quiet=True)


def without_dashboard_cache(app: Any) -> None:
    """Every dashboard request computes its dashboard (the ``dashboard`` region: a null one)."""
    from dogpile.cache import make_region

    app.registry["cache_regions"]["dashboard"] = make_region().configure("dogpile.cache.null")


def start_server(
    args: argparse.Namespace, port: int, cache: bool, app: str = "thebot"
) -> list[subprocess.Popen]:
    """``--workers`` server processes on ``port``, each answering before this returns."""
    command = [
        sys.executable,
        __file__,
        "--serve",
        "--port",
        str(port),
        "--threads",
        str(args.threads),
        "--database-url",
        args.database_url,
        "--app",
        app,
    ]
    if args.redis_url:
        command += ["--redis-url", args.redis_url]
    if not cache:
        command.append("--no-dashboard-cache")
    log = open(args.server_log, "ab") if args.server_log else subprocess.DEVNULL  # noqa: SIM115
    servers = []
    for _ in range(args.workers):  # one at a time: each must be listening before the next
        servers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log))
        wait_until_up(servers, port, "/floor/" if app != "thebot" else "/api/system/health/live/")
    return servers


def wait_until_up(servers: list[subprocess.Popen], port: int, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if servers[-1].poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status in (200, 401) and _listening(servers[-1].pid, port):
                return
        except OSError:
            pass
        time.sleep(0.2)
    stop(servers)
    raise RuntimeError("the server did not start within 60 s")


def _listening(pid: int, port: int) -> bool:
    """``pid`` has a listening socket on ``port`` (psutil; the kernel's own table)."""
    import psutil

    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections)


def stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the load --------------------------------------------------------------------------------


def measure(port: int, path: str, tokens: list[str], requests: int, clients: int) -> dict:
    # Request i uses the pool's user i modulo the pool: distinct users first, then repeats.
    keys = [tokens[i % len(tokens)] for i in range(requests)]
    started = time.perf_counter()
    try:
        timings = sorted(loadgen.run(port, path, keys, clients))
    except (OSError, loadgen.LoadError) as exc:
        raise RuntimeError(str(exc)) from exc
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(timings, n=100)
    return {
        "requests": len(timings),
        "per_second": round(len(timings) / elapsed, 1),
        "p50_ms": round(cuts[49], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(timings[-1], 2),
    }


def run_phase(args: argparse.Namespace, tokens: dict, cache: bool, names: list[str]) -> dict:
    """Start the servers, measure each endpoint, stop them.

    Before each measurement every user of the pool calls the endpoint once: connections,
    statement caches and (when on) the dashboard cache are warm, so a phase measures one
    steady state. An endpoint that answers anything but 200 is reported with its error.
    """
    port = free_port()
    servers = start_server(args, port, cache)
    try:
        results: dict[str, dict] = {}
        for label, path, role in ENDPOINTS:
            if label not in names:
                continue
            try:
                measure(port, path, tokens[role], len(tokens[role]), args.clients)
                results[label] = measure(port, path, tokens[role], args.requests, args.clients)
            except RuntimeError as exc:
                results[label] = {"error": str(exc)}
        return results
    finally:
        stop(servers)


def run_against(args: argparse.Namespace, tokens: dict, names: list[str]) -> list[dict]:
    """``--against``: per round, the uncached endpoints under the other code, then this."""
    rounds = []
    for _ in range(args.rounds):
        measured = {}
        for label, src in (("before", args.against), ("after", "")):
            os.environ["PYTHONPATH"] = src  # the servers' import path; "" is this checkout
            try:
                measured[label] = run_phase(args, tokens, False, names)
            finally:
                os.environ.pop("PYTHONPATH", None)
        measured["load"] = round(os.getloadavg()[0], 2)
        rounds.append(measured)
    return rounds


def against_report(summary: dict) -> str:
    rounds = summary["rounds"]
    lines = [
        f"{summary['backend']}: {len(rounds)} rounds, before = {summary['against']}, after = "
        f"this checkout; {setup_words(summary)}; {machine_words(summary)}",
        f"{'p99 ms per round, no cache':<32} {'before':>24} {'after':>24}",
    ]
    for label in rounds[0]["after"]:
        cells = [
            " / ".join(str(r[side][label].get("p99_ms", "error")) for r in rounds)
            for side in ("before", "after")
        ]
        lines.append(f"{label:<32} {cells[0]:>24} {cells[1]:>24}")
    return "\n".join(lines)


def run_floor(args: argparse.Namespace, tokens: list[str]) -> dict:
    """``--floor``: the floors of ``floor.py`` and the real endpoints, interleaved."""

    def start(kind: str) -> tuple[int, list[subprocess.Popen]]:
        port = free_port()
        return port, start_server(args, port, cache=False, app=kind)

    return floor_rounds(args, tokens, start, measure, lambda servers: stop(servers))


def cpu_reference() -> float:
    """Milliseconds for a fixed pure-Python loop (one million multiply-adds), best of 5."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def setup_words(summary: dict) -> str:
    """``16 clients, 2 x 1 waitress threads, 800 requests per endpoint``."""
    return (
        f"{summary['clients']} clients, {summary['workers']} x {summary['threads']} waitress "
        f"threads, {summary['requests']} requests per endpoint"
    )


def machine_words(summary: dict) -> str:
    """The machine's state around a run: load average and CPU reference."""
    return (
        f"load average {summary['load_before'][0]} before, {summary['load_after'][0]} after; "
        f"CPU reference {summary.get('cpu_reference_ms', '?')} ms"
    )


def report(summary: dict) -> str:
    rows = summary["rows"]
    lines = [
        f"{summary['backend']}: {setup_words(summary)}, {summary['cpus']} CPUs; seeded in "
        f"{summary['seed_seconds']} s ({rows['user_account']} users, {rows['material']} "
        f"materials, {rows['material_progress']} progress rows); {machine_words(summary)}",
        f"{'endpoint':<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}",
    ]
    for phase, results in summary["phases"].items():
        for label, r in results.items():
            name = f"{label} [{phase}]"
            if "error" in r:
                lines.append(f"{name:<44} {r['error']}")
                continue
            lines.append(result_line(name, r))
    return "\n".join(lines)


def result_line(label: str, r: dict) -> str:
    """One endpoint's row of the printed table (shared with ``knowledge.py``)."""
    return f"{label:<44} {r['per_second']:>7} {r['p50_ms']:>7} {r['p99_ms']:>7} {r['max_ms']:>7}"


def run_arguments(parser: argparse.ArgumentParser, pool_help: str) -> None:
    """The options of a seeded run under waitress (shared with ``knowledge.py``)."""
    parser.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    parser.add_argument("--reset", action="store_true", help="wipe a PostgreSQL database")
    parser.add_argument("--redis-url", help="cache in Redis (default: in memory)")
    parser.add_argument("--requests", type=int, default=800, help="per endpoint (max 20000)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="waitress threads per worker")
    parser.add_argument("--pool", type=int, default=64, help=pool_help)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes sharing the port (default: one per CPU)",
    )
    parser.add_argument("--only", help="measure only endpoints whose label contains this")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    run_arguments(parser, pool_help="users per role")
    parser.add_argument(
        "--floor", type=int, metavar="ROUNDS", help="compare with bench/floor.py, interleaved"
    )
    parser.add_argument("--single", type=int, default=300, help="1-client requests (--floor)")
    parser.add_argument("--against", metavar="SRC", help="compare with the code in SRC")
    parser.add_argument("--rounds", type=int, default=3, help="--against rounds")
    parser.add_argument("--server-log", help="file for the server's stderr (default: dropped)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-dashboard-cache", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--app", default="thebot", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return
    from learning_seed import prepare_database

    from thebot.settings import load_settings

    args.requests = max(args.clients, min(args.requests, 20000))
    with tempfile.TemporaryDirectory(prefix="thebot-bench-") as tmp:
        args.database_url = args.database_url or f"sqlite:///{tmp}/learning.sqlite"
        settings = load_settings(app_settings(args.database_url, None, tmp), environ={})
        prepared = prepare_database(settings, args.reset, seed=4, pool=args.pool)
        every = [label for label, _, _ in ENDPOINTS if (args.only or "") in label]
        summary = {
            "backend": settings["sqlalchemy.url"].get_backend_name(),
            "clients": args.clients,
            "workers": args.workers,
            "threads": args.threads,
            "requests": args.requests,
            "cpus": os.cpu_count(),
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "cpu_reference_ms": cpu_reference(),
            "seed_seconds": prepared["seed_seconds"],
            "rows": prepared["rows"],
        }
        if args.floor:
            summary["single"] = args.single
            summary["floor"] = run_floor(args, prepared["tokens"]["student"])
        elif args.against:
            summary["against"] = args.against
            summary["rounds"] = run_against(args, prepared["tokens"], every)
        else:
            summary["phases"] = {
                "no cache": run_phase(args, prepared["tokens"], False, every),
                "cached": run_phase(
                    args, prepared["tokens"], True, [e for e in every if "dashboard" in e]
                ),
            }
        summary["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    kind = "floor" if args.floor else "against" if args.against else "learning"
    name = (
        f"{kind}-{summary['backend']}-{args.clients}clients-{args.workers}x{args.threads}"
        "threads.json"
    )
    (out / name).write_text(json.dumps(summary, indent=2) + "\n")
    reports = {"floor": floor_report, "against": against_report, "learning": report}
    print(reports[kind](summary))


if __name__ == "__main__":
    cli()
