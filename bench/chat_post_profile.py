"""Where one chat message POST goes: the real app in process, queries counted, profiled.

    python bench/chat_post_profile.py                         # SQLite, rooms of 10 and 100
    python bench/chat_post_profile.py --members 10 100 --away  # members away: notifications
    python bench/chat_post_profile.py --database-url postgresql+psycopg://postgres@127.0.0.1/b \\
        --redis-url redis://127.0.0.1:6379/9 --profile

Seeds a ``group`` room of N members (the first moderates and sends), builds the WSGI app
(``task_broker = stub``, rate limits on as in production unless ``--no-rate-limit``) and
posts ``POST /api/chat/rooms/{id}/messages/`` through WebTest, no server: per room size the
SQL statements of one POST (a ``before_cursor_execute`` listener; savepoint statements
counted apart), the wall-clock p50/mean and this thread's CPU time per POST; ``--profile``
prints the cumulative ``cProfile`` top (CPU time of this thread) of the last room size.
With ``--redis-url`` the hub is Redis (the production publish path: outbox, after-commit
relay, the Lua script);
without, the memory hub. ``--away``: nobody is connected (each member gets an in-app
notification and a digest on its way); by default every member counts as connected (the
presence look-up answers all of them), as in ``bench/realtime.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

HOST = "127.0.0.1"


def build(args: argparse.Namespace, folder: str) -> Any:
    from thebot import main

    url = args.database_url or f"sqlite:///{folder}/chat.sqlite"
    settings = {
        "debug": "true",
        "secret_key": "p" * 64,
        "allowed_hosts": f"{HOST} localhost",
        "database_url": url,
        "redis_url": args.redis_url or "",
        "task_broker": "stub",
        "realtime_hub": "redis" if args.redis_url else "memory",
        "media_root": f"{folder}/media",
        "mail_dir": f"{folder}/mail",
        "rate_limit_enabled": "false" if args.no_rate_limit else "true",
        # one user sends every message here: a limit far above the requests made
        "chat_send_rate": "1000000/minute",
        "api_rate_limit": "1000000/hour",
        "api_burst_limit": "1000000/minute",
    }
    from realtime import prepare_database

    prepare_database(argparse.Namespace(database_url=url))
    app = main({}, **settings)
    from thebot.realtime import acks

    # The stub broker turns the batched outbox deletes off (tests share one connection);
    # a production broker does not, so neither does the bench.
    delay = app.registry.settings.get("realtime_outbox_ack_ms", 0) / 1000
    app.registry[acks.REGISTRY_KEY] = acks.Acks(app.registry, delay)
    return app


def seed(registry: Any, members: int) -> tuple[int, str, list[int]]:
    """A group room of ``members`` students; the room id and the moderator's token."""
    from thebot.accounts.credentials.tokens import issue_token
    from thebot.accounts.models import User
    from thebot.chat.models import ChatMember, ChatRoom

    tag = f"p{time.time_ns()}"
    session = registry["dbsession_factory"](info={"registry": registry})
    users = [
        User(
            username=f"{tag}u{n}",
            email=f"{tag}u{n}@bench.example",
            role="student",
            is_active=True,
            password_hash="!",  # noqa: S106 (token only)
        )
        for n in range(members)
    ]
    session.add_all(users)
    session.flush()
    room = ChatRoom(type="group", name=f"{tag} room", created_by_id=users[0].id)
    session.add(room)
    session.flush()
    session.add_all(
        ChatMember(room_id=room.id, user_id=u.id, role="moderator" if i == 0 else "member")
        for i, u in enumerate(users)
    )
    key = issue_token(session, users[0], dt.timedelta(hours=2))[0]
    session.commit()
    room_id, member_ids = room.id, [u.id for u in users]
    session.close()
    return room_id, key, member_ids


class Counter:
    """Statements of the requests' thread; those of other threads (the batched outbox
    deletes) are counted apart."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.savepoints = 0
        self.elsewhere = 0
        self.thread = threading.get_ident()

    def __call__(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if threading.get_ident() != self.thread:
            self.elsewhere += 1
            return
        head = statement.lstrip().upper()
        if head.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.savepoints += 1
        else:
            self.statements.append(statement)


@contextlib.contextmanager
def redis_round_trips() -> Iterator[list[str]]:
    """The commands (a pipeline: one) this process sends to Redis meanwhile."""
    from redis.connection import AbstractConnection

    count: list[str] = []
    original = AbstractConnection.send_packed_command

    def counting(self: Any, command: Any, check_health: bool = True) -> None:
        first = command[0] if isinstance(command, list) else command
        count.append(bytes(first)[:60].decode(errors="replace").replace("\r\n", " "))
        original(self, command, check_health)

    AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        yield count
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", default="")
    p.add_argument("--redis-url", default="")
    p.add_argument("--members", type=int, nargs="+", default=[10, 100])
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--away", action="store_true", help="nobody connected")
    p.add_argument("--no-rate-limit", action="store_true")
    p.add_argument("--profile", action="store_true", help="cProfile the last room size")
    p.add_argument("--top", type=int, default=45)
    p.add_argument("--dump", default="", help="with --profile: write the pstats file here")
    p.add_argument("--show-sql", action="store_true", help="print one POST's statements")
    args = p.parse_args()

    import webtest
    from sqlalchemy import event

    from thebot.realtime import acks

    with tempfile.TemporaryDirectory(prefix="thebot-chatprof-") as folder:
        app = build(args, folder)
        registry = app.registry
        hub = registry["realtime_hub"]
        if args.away:
            registry["realtime_presence"] = lambda ids: set()
        elif hub.kind != "redis":
            registry["realtime_presence"] = lambda ids: set(ids)
        engine = registry["dbengine"]
        client = webtest.TestApp(app, extra_environ={"HTTP_HOST": HOST})
        keys = hub.client.dbsize() if hub.kind == "redis" else 0
        print(f"database {engine.dialect.name}, hub {hub.kind} ({keys} keys in its Redis db)")
        for members in args.members:
            room_id, key, member_ids = seed(registry, members)
            url = f"/api/chat/rooms/{room_id}/messages/"
            headers = {"Authorization": f"Token {key}"}
            snapshot = None
            if hub.kind == "redis" and not args.away:
                # a gateway's presence snapshot listing every member (the real look-up)
                from thebot.realtime.gateway.stats import GatewayStats

                snapshot = GatewayStats().snapshot(member_ids, dict.fromkeys(member_ids, 1))

            def post(
                n: int, url: str = url, headers: dict = headers, snapshot: Any = snapshot
            ) -> None:
                if snapshot is not None and n % 50 == 0:  # as a gateway does every 5 s
                    from thebot.realtime.gateway.stats import publish_snapshot

                    publish_snapshot(hub, "bench-gateway", snapshot)
                client.post_json(url, {"text": f"message {n}"}, headers=headers, status=201)

            for n in range(5):  # warm up
                post(n)
            post(0)  # the snapshot, if any, before counting
            counter = Counter()
            event.listen(engine, "before_cursor_execute", counter)
            with redis_round_trips() as trips:
                post(1)
            event.remove(engine, "before_cursor_execute", counter)
            times = []
            background = Counter()
            event.listen(engine, "before_cursor_execute", background)
            # the process's CPU: the thread deleting published outbox rows counts too
            cpu = time.process_time()
            for n in range(args.requests):
                began = time.perf_counter()
                post(n)
                times.append((time.perf_counter() - began) * 1000)
            registry[acks.REGISTRY_KEY].flush()
            cpu = time.process_time() - cpu
            event.remove(engine, "before_cursor_execute", background)
            print(
                f"members {members:4d}: {len(counter.statements):3d} statements"
                f" (+{counter.savepoints} savepoint, +{background.elsewhere / args.requests:.2f}"
                f" in other threads), {len(trips)} Redis round trips,"
                f" p50 {statistics.median(times):.2f} ms,"
                f" mean {statistics.mean(times):.2f} ms,"
                f" cpu {cpu * 1000 / args.requests:.2f} ms per POST"
            )
            if args.show_sql:
                for statement in counter.statements:
                    print("   ", " ".join(statement.split())[:160])
                for command in trips:
                    print("    redis:", command)
        if args.profile:
            # this thread's CPU time, not the wall clock (other processes share the CPUs)
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            for n in range(args.requests):
                post(n)
            profiler.disable()
            out = io.StringIO()
            if args.dump:
                profiler.dump_stats(args.dump)
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
        registry["realtime_hub"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
