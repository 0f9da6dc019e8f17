"""Latency and memory of the probe and status endpoints under waitress (SQLite, no services).

    python bench/probes.py [--requests 2000] [--threads 4]

Prints a JSON summary (p50/p95/p99 latency per path, requests/s, RSS before/after) and
writes it to bench/results/probes.json. Only loopback traffic; bounded request count.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from waitress.server import create_server

from thebot import main

PATHS = ("/api/system/health/live/", "/api/system/health/ready/", "/api/system/status-page/")


def build_app(tmp: str):
    return main(
        {},
        debug="true",
        secret_key="b" * 64,
        allowed_hosts="127.0.0.1 localhost",
        database_url=f"sqlite:///{tmp}/bench.sqlite",
        auto_migrate="true",
        task_broker="stub",
    )


def worker(port: int, path: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
        timings.append((time.perf_counter() - start) * 1000)
    conn.close()
    return timings


def run(requests: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(tmp)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        server = create_server(app, host="127.0.0.1", port=port, threads=threads)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        process = psutil.Process(os.getpid())
        rss_before = process.memory_info().rss
        results = {}
        for path in PATHS:
            per_thread = max(1, requests // threads)
            started = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                job = functools.partial(worker, port, path)
                chunks = list(pool.map(job, [per_thread] * threads))
            elapsed = time.perf_counter() - started
            timings = sorted(t for chunk in chunks for t in chunk)
            quantiles = statistics.quantiles(timings, n=100)
            results[path] = {
                "requests": len(timings),
                "per_second": round(len(timings) / elapsed, 1),
                "p50_ms": round(quantiles[49], 2),
                "p95_ms": round(quantiles[94], 2),
                "p99_ms": round(quantiles[98], 2),
            }
        server.close()
        return {
            "threads": threads,
            "rss_mb_before": round(rss_before / 2**20, 1),
            "rss_mb_after": round(process.memory_info().rss / 2**20, 1),
            "paths": results,
        }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    summary = run(min(args.requests, 50_000), args.threads)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "probes.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    cli()
