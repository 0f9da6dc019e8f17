"""The chat mode of ``bench/realtime.py``: real messages sent over REST.

Rooms are ``group`` rooms of the bench users (the first member moderates and sends); the
web processes are ``pserve`` (waitress) on an ini of their own, the gateways
``thebot-realtime``; sender processes post ``POST /api/chat/rooms/{id}/messages/`` at the
given total rate with the room sender's token. A message's text carries its sequence number
and the time the POST left, so a client measures POST sent → frame received.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

SENDER_THREADS = 12  # per sender process: requests in flight (waitress answers in threads)


def seed_rooms(registry: Any, rooms: list[list[int]]) -> list[int]:
    """A group room per member list (the first member moderates); the room ids."""
    from thebot.chat.models import ChatMember, ChatRoom

    session = registry["dbsession_factory"]()
    tag = int(time.time())
    made = []
    for number, members in enumerate(rooms):
        room = ChatRoom(type="group", name=f"bench {tag} room {number}", created_by_id=members[0])
        session.add(room)
        session.flush()
        session.add_all(
            ChatMember(
                room_id=room.id,
                user_id=uid,
                role="moderator" if uid == members[0] else "member",
            )
            for uid in members
        )
        made.append(room.id)
    session.commit()
    session.close()
    return made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(settings: dict[str, str], folder: str, count: int, threads: int) -> list[Any]:
    """``count`` pserve (waitress) processes on free ports: ``[(process, port)]``."""
    exe = Path(sys.executable).parent / "pserve"
    started = []
    for n in range(count):
        port = free_port()
        ini = Path(folder) / f"web{n}.ini"
        lines = ["[app:main]", "use = egg:thebot"]
        lines += [f"{k} = {v}" for k, v in settings.items()]
        lines += ["", "[server:main]", "use = egg:waitress#main", f"listen = 127.0.0.1:{port}"]
        lines += [f"threads = {threads}", "connection_limit = 1000", "channel_timeout = 60"]
        ini.write_text("\n".join(lines) + "\n")
        proc = subprocess.Popen(
            [str(exe), str(ini)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started.append((proc, port))
    for proc, port in started:
        deadline = time.monotonic() + 90
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/chat/contacts/")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("a web process did not start")
            time.sleep(0.3)
    return started


def sender(
    ports: list[int],
    rooms: list[tuple[int, str]],
    rate: float,
    seconds: float,
    part: int,
    parts: int,
    out: Any,
) -> None:
    """Post message ``seq`` (``seq % parts == part``) to room ``seq % len(rooms)`` at
    ``start + seq / rate``; report ``(ok seqs, statuses, POST round trips)`` on ``out``."""
    total = int(rate * seconds)
    mine = [seq for seq in range(total) if seq % parts == part]
    start = time.perf_counter() + 0.2
    lock = threading.Lock()
    ok: list[int] = []
    statuses: dict[str, int] = {}
    round_trips: list[float] = []

    def worker(index: int) -> None:
        port = ports[(part + index) % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for seq in mine[index::SENDER_THREADS]:
            delay = start + seq / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            room_id, key = rooms[seq % len(rooms)]
            body = json.dumps({"text": f"bench {seq} {time.time():.6f}"})
            headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
            began = time.perf_counter()
            try:
                conn.request("POST", f"/api/chat/rooms/{room_id}/messages/", body, headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            spent = time.perf_counter() - began
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                round_trips.append(spent)
                if status == "201":
                    ok.append(seq)
        conn.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(SENDER_THREADS)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    out.put((ok, statuses, round_trips, time.perf_counter() - start))


def parse(frame: dict[str, Any]) -> tuple[int, float] | None:
    """A bench message frame's ``(seq, POST sent at)``; ``None`` for any other frame."""
    if frame.get("type") != "chat.message.created":
        return None
    parts = str(frame["data"].get("text", "")).split()
    if len(parts) != 3 or parts[0] != "bench":
        return None
    return int(parts[1]), float(parts[2])
