"""Real-time delivery: N clients on the gateway, chat messages sent over REST, measured.

    python bench/realtime.py [--mode chat|events] [--clients 1000] [--rooms 100]
        [--rate 200] [--seconds 30] [--gateways 1] [--web 2] [--web-threads 1]
        [--database-url postgresql+psycopg://root@127.0.0.1:5432/h5test_bench]
        [--redis-url redis://127.0.0.1:6379/5] [--record]

Production layout on one host: ``--gateways`` ``thebot-realtime`` processes on Redis and
the clients in this process. Each client is a user with an API token (``Authorization:
Token`` on the handshake), a member of one room (``clients / rooms`` members per room).

``--mode chat`` (default): the rooms are chat ``group`` rooms; ``--web`` ``pserve``
(waitress) processes serve the app, and two sender processes post real messages with
``POST /api/chat/rooms/{id}/messages/`` (the room's first member's token) at ``--rate`` in
total: the whole path of a message (auth, access, insert, the ``chat.message.created``
event through the outbox, the after-commit relay, Redis, the gateway). See
``realtime_chat.py``.

One web process per core with one thread each (the default) absorbs the most: a POST is
CPU work, and more threads in a process only contend for its interpreter lock (2 x 8
threads: ~140 messages/s on 2 cores; 2 x 1: 200/s; ``bench/RESULTS.md``).

``--mode events``: two publisher processes commit a ``bench.event`` domain event for a
room's members on a plain session: the publish path without HTTP and chat.

Measured: commit → frame written (the gateways' own histogram, ``/ws/metrics``) and sent →
frame received by the client (chat: the POST leaving the sender, so it includes the whole
request; events: the record, before the commit), messages lost (expected (message, member)
pairs never received; must be 0) and duplicated, gateway RSS per connection (RSS after
connecting minus before, over N). Prints the machine reference (CPU count, load average).
``--record`` appends the run to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import queue
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from realtime_report import bucket_quantile, histogram, percentile, record_run

from thebot.events import DomainEvent


@dataclass(frozen=True)
class BenchEvent(DomainEvent):
    name = "bench.event"
    realtime = True
    seq: int = 0
    room: int = 0
    members: tuple[int, ...] = ()
    sent_at: float = 0.0

    @property
    def user_ids(self) -> tuple[int, ...]:
        return self.members


def settings_for(args: argparse.Namespace) -> dict[str, str]:
    return {
        "debug": "true",
        "secret_key": "b" * 64,
        "allowed_hosts": "127.0.0.1 localhost",
        "database_url": args.database_url,
        "redis_url": args.redis_url,
        "task_broker": "stub",
        "realtime_hub": "redis",
        "realtime_max_connections_per_user": "2",
        "rate_limit_enabled": "false",
    }


def prepare_database(args: argparse.Namespace) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from thebot.db import get_engine
    from thebot.db.migrate import upgrade
    from thebot.settings import load_settings

    url = make_url(args.database_url)
    if url.get_backend_name() == "postgresql":
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    settings = load_settings({"database_url": args.database_url}, environ={})
    engine = get_engine(settings)
    with engine.begin() as conn:
        upgrade(settings, connection=conn)
    engine.dispose()


def make_users(registry: Any, count: int) -> list[tuple[int, str]]:
    """``count`` students with a token each, in one transaction: ``[(user_id, key)]``."""
    from thebot.accounts.credentials.tokens import issue_token
    from thebot.accounts.models import User

    tag = f"b{int(time.time())}"
    session = registry["dbsession_factory"]()
    users = [
        User(
            username=f"{tag}u{n}",
            email=f"{tag}u{n}@bench.example",
            role="student",
            is_active=True,
            password_hash="!",  # noqa: S106 (no password: token only)
        )
        for n in range(count)
    ]
    session.add_all(users)
    session.flush()
    keys = [(u.id, issue_token(session, u, dt.timedelta(hours=2))[0]) for u in users]
    session.commit()
    session.close()
    return keys


def publisher(
    settings: dict[str, str], rooms: list[list[int]], rate: float, seconds: float, part: int
) -> None:
    """A web process' stand-in: commit one event every 1/rate seconds for ``seconds``."""
    from thebot import main
    from thebot.events import record

    registry = main({}, **settings).registry
    factory = registry["dbsession_factory"]
    start = time.perf_counter()
    n = 0
    while True:
        due = start + n / rate
        now = time.perf_counter()
        if due - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        room = (n * 2 + part) % len(rooms)
        session = factory(info={"registry": registry})
        record(
            session,
            BenchEvent(
                seq=n * 2 + part, room=room, members=tuple(rooms[room]), sent_at=time.time()
            ),
        )
        session.commit()
        session.close()
        n += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gateways(args: argparse.Namespace, folder: str) -> list[tuple[subprocess.Popen, int]]:
    ini = Path(folder) / "bench.ini"
    lines = ["[app:main]", "use = egg:thebot"]
    lines += [f"{k} = {v}" for k, v in settings_for(args).items()]
    ini.write_text("\n".join(lines) + "\n")
    exe = Path(sys.executable).parent / "thebot-realtime"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "DATABASE", "DB_"))}
    started = []
    for _ in range(args.gateways):
        port = free_port()
        proc = subprocess.Popen(
            [str(exe), str(ini), "--listen", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append((proc, port))
    for proc, port in started:
        deadline = time.monotonic() + 60
        while True:
            try:
                if json.loads(fetch(port, "/ws/health"))["status"] == "ready":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("a gateway did not start")
            time.sleep(0.2)
    return started


def cpu_seconds(processes: list[tuple[Any, int]]) -> float:
    """User + system CPU seconds used so far by ``processes`` (``(process, port)`` pairs)."""
    total = 0.0
    for proc, _ in processes:
        try:
            times = psutil.Process(proc.pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def fetch(port: int, path: str) -> str:
    url = f"http://127.0.0.1:{port}{path}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def parse_event(frame: dict[str, Any]) -> tuple[int, float] | None:
    """A ``bench.event`` frame's ``(seq, recorded at)``; ``None`` for any other frame."""
    if frame["type"] != "bench.event":
        return None
    return frame["data"]["seq"], frame["data"]["sent_at"]


async def clients(
    ports: list[int],
    keys: list[tuple[int, str]],
    seconds: float,
    ready: Any,
    done: Any,
    parse: Any = parse_event,
    settle: float = 0.0,
    others: dict[str, int] | None = None,
) -> tuple[dict[tuple[int, int], int], list[float], int]:
    from websockets.asyncio.client import connect

    received: dict[tuple[int, int], int] = {}
    latencies: list[float] = []
    gate = asyncio.Semaphore(32)  # handshakes in flight (each one a token look-up)

    async def open_one(index: int, user_id: int, key: str) -> tuple[int, Any]:
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{ports[index % len(ports)]}/ws/",
                additional_headers={"Authorization": f"Token {key}"},
                open_timeout=60,
                max_queue=None,
            )
            await ws.send('{"type":"ping"}')
            return user_id, ws

    sockets = await asyncio.gather(*(open_one(i, u, k) for i, (u, k) in enumerate(keys)))

    async def listen(user_id: int, ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.time()
                frame = json.loads(raw)
                parsed = parse(frame)
                if parsed is None:
                    if others is not None:
                        others[frame["type"]] = others.get(frame["type"], 0) + 1
                    continue
                seq, sent_at = parsed
                slot = (seq, user_id)
                received[slot] = received.get(slot, 0) + 1
                latencies.append(now - sent_at)
        except Exception:  # closed at the end
            return

    tasks = [asyncio.create_task(listen(u, ws)) for u, ws in sockets]
    # Chat: let the gateways' presence snapshots list everyone (a member counted away gets
    # an in-app notification per message, which is not the load measured here).
    await asyncio.sleep(settle)
    ready()
    await asyncio.sleep(0.5)
    while not done():
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)  # stragglers
    for _, ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()
    return received, latencies, len(sockets)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--rooms", type=int, default=100)
    p.add_argument("--rate", type=float, default=200.0, help="events per second")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--gateways", type=int, default=1)
    p.add_argument("--mode", choices=("chat", "events"), default="chat")
    p.add_argument("--web", type=int, default=2, help="chat: pserve processes")
    p.add_argument(
        "--web-threads",
        type=int,
        default=1,
        help="chat: waitress threads each (one per process, a process per core: the web "
        "tier is CPU-bound; 8 threads absorbed 140 POST/s where 1 absorbed 200)",
    )
    p.add_argument(
        "--database-url", default="postgresql+psycopg://root@127.0.0.1:5432/h5test_bench"
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    p.add_argument("--record", action="store_true", help="append the run to bench/RESULTS.md")
    args = p.parse_args()

    load_before = os.getloadavg()
    prepare_database(args)
    from thebot import main as make_app

    registry = make_app({}, **settings_for(args)).registry
    keys = make_users(registry, args.clients)
    per_room = max(1, args.clients // args.rooms)
    rooms = [
        [uid for uid, _ in keys[r * per_room : (r + 1) * per_room]] for r in range(args.rooms)
    ]
    chat = args.mode == "chat"
    if chat:
        import realtime_chat

        room_ids = realtime_chat.seed_rooms(registry, rooms)
        key_of = dict(keys)
        senders = [(room_ids[r], key_of[members[0]]) for r, members in enumerate(rooms)]
    sent_ok: set[int] = set(range(int(args.rate * args.seconds)))
    statuses: dict[str, int] = {}
    round_trips: list[float] = []
    others: dict[str, int] = {}
    send_seconds = args.seconds
    with tempfile.TemporaryDirectory(prefix="thebot-bench-rt-") as folder:
        gateways = start_gateways(args, folder)
        webs = (
            realtime_chat.start_web(settings_for(args), folder, args.web, args.web_threads)
            if chat
            else []
        )
        ports = [port for _, port in gateways]
        rss_before = sum(psutil.Process(proc.pid).memory_info().rss for proc, _ in gateways)
        publishers: list[multiprocessing.Process] = []
        state = {"connected_rss": 0}
        results: Any = multiprocessing.Queue()

        def ready() -> None:
            state["connected_rss"] = sum(
                psutil.Process(proc.pid).memory_info().rss for proc, _ in gateways
            )
            state["cpu_gateways"] = cpu_seconds(gateways)
            state["cpu_web"] = cpu_seconds(webs)
            state["cpu_self"] = cpu_seconds([(psutil.Process(), 0)])
            for part in (0, 1):
                if chat:
                    target: Any = realtime_chat.sender
                    params: tuple = (
                        [port for _, port in webs],
                        senders,
                        args.rate,
                        args.seconds,
                        part,
                        2,
                        results,
                    )
                else:
                    target = publisher
                    params = (settings_for(args), rooms, args.rate / 2, args.seconds, part)
                proc = multiprocessing.Process(target=target, args=params)
                proc.start()
                publishers.append(proc)

        reports: list[Any] = []

        def done() -> bool:
            if chat:
                # A sender exits only once its report left through the queue: read it here.
                while len(reports) < len(publishers):
                    try:
                        reports.append(results.get_nowait())
                    except queue.Empty:
                        break
                return bool(publishers) and len(reports) == len(publishers)
            return bool(publishers) and all(not proc.is_alive() for proc in publishers)

        started = time.time()
        received, latencies, connected = asyncio.run(
            clients(
                ports,
                keys,
                args.seconds,
                ready,
                done,
                parse=realtime_chat.parse if chat else parse_event,
                settle=6.0 if chat else 0.0,
                others=others,
            )
        )
        elapsed = time.time() - started
        if chat:
            sent_ok = set()
            for ok, codes, trips, spent in reports:
                send_seconds = max(send_seconds, spent)
                sent_ok.update(ok)
                round_trips += trips
                for code, n in codes.items():
                    statuses[code] = statuses.get(code, 0) + n
        metrics = [fetch(port, "/ws/metrics") for port in ports]
        cpu_used = {
            "web": cpu_seconds(webs) - state.get("cpu_web", 0.0),
            "gateways": cpu_seconds(gateways) - state.get("cpu_gateways", 0.0),
            "clients": cpu_seconds([(psutil.Process(), 0)]) - state.get("cpu_self", 0.0),
        }
        for proc, _ in gateways + webs:
            proc.terminate()
            proc.wait(timeout=20)
    load_after = os.getloadavg()

    events = int(args.rate * args.seconds)
    sent = {seq for seq, _ in received}
    expected = {(seq, uid) for seq in sent_ok for uid in rooms[seq % args.rooms]}
    lost = len(expected - set(received))
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    buckets: dict[float, float] = {}
    count = total = 0.0
    for text in metrics:
        hist, c, s = histogram(text)
        count += c
        total += s
        for bound, value in hist:
            buckets[bound] = buckets.get(bound, 0.0) + value
    merged = sorted(buckets.items())
    summary = {
        "mode": args.mode,
        "clients": connected,
        "rooms": args.rooms,
        "gateways": args.gateways,
        "events": events,
        "events_seen": len(sent),
        "sent_ok": len(sent_ok),
        "http_statuses": statuses,
        "post_p50_ms": round(percentile(round_trips, 0.50) * 1000, 1) if round_trips else None,
        "post_p99_ms": round(percentile(round_trips, 0.99) * 1000, 1) if round_trips else None,
        "sent_per_s": round(len(sent_ok) / max(send_seconds, 1e-9), 1),
        "web_processes": len(webs),
        "other_frames": others,
        "frames_expected": len(expected),
        "frames_received": sum(received.values()),
        "lost": lost,
        "duplicates": duplicates,
        "rate_per_s": args.rate,
        "frames_per_s": round(sum(received.values()) / send_seconds, 1),
        "client_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "client_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "client_max_ms": round(max(latencies, default=0) * 1000, 1),
        "gateway_p50": bucket_quantile(merged, 0.50),
        "gateway_p99": bucket_quantile(merged, 0.99),
        "gateway_mean_ms": round(total / count * 1000, 1) if count else None,
        "gateway_rss_mb": round(state["connected_rss"] / 2**20, 1),
        "rss_per_connection_kb": round(
            (state["connected_rss"] - rss_before) / max(1, connected) / 1024, 1
        ),
        # CPU seconds (user + system) from the senders' start to the end: what each part of
        # the run cost, whatever else the machine was doing
        "cpu_s": {name: round(value, 1) for name, value in cpu_used.items()},
        "web_cpu_ms_per_post": round(cpu_used["web"] * 1000 / max(1, len(sent_ok)), 2)
        if chat
        else None,
        "gateway_cpu_ms_per_frame": round(
            cpu_used["gateways"] * 1000 / max(1, sum(received.values())), 3
        ),
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "python": platform.python_version(),
        "elapsed_s": round(elapsed, 1),
    }
    print(json.dumps(summary, indent=2))
    if args.record:
        record_run(summary)
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
