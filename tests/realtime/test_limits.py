"""Limits of one socket: the bounded send queue, idle clients."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from rt_helpers import receive, run
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from thebot.realtime.gateway.connection import CLOSE_IDLE, CLOSE_SLOW, Connection
from thebot.realtime.gateway.stats import GatewayStats
from thebot.realtime.hub import Entry
from thebot.realtime.tickets import Credential


class FakeGateway:
    send_queue_size = 3
    resume_max = 10

    def __init__(self) -> None:
        self.stats = GatewayStats()
        self.spawned: list[Any] = []

    def spawn(self, coro: Any) -> None:
        self.spawned.append(coro)
        coro.close()


class FakeSocket:
    def __init__(self) -> None:
        self.closed_with: tuple[int, str] | None = None

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)


def test_a_client_that_falls_a_queue_behind_is_disconnected_not_buffered():
    async def scenario() -> tuple[Connection, FakeGateway]:
        gateway = FakeGateway()
        conn = Connection(gateway, FakeSocket(), Credential(user_id=1, token_id=1))
        conn.start()
        for n in range(5):
            conn.offer(Entry(f"{n + 1}-0", "t", "{}", time.time()))
        return conn, gateway

    conn, gateway = asyncio.run(scenario())
    assert conn.closing and conn.queue.qsize() == 3
    assert len(gateway.spawned) == 1  # one close, however many frames overflowed
    assert gateway.stats.disconnects.labels("client too slow")._value.get() == 1


def test_events_already_queued_are_not_queued_again():
    async def scenario() -> Connection:
        conn = Connection(FakeGateway(), FakeSocket(), Credential(user_id=1, token_id=1))
        conn.offer(Entry("5-0", "t", "{}", 0.0))  # held until delivery starts
        conn.start()
        for key in ("5-0", "4-0", "6-0", "6-0"):
            conn.offer(Entry(key, "t", "{}", 0.0))
        return conn

    conn = asyncio.run(scenario())
    frames = [json.loads(conn.queue.get_nowait()[0])["id"] for _ in range(conn.queue.qsize())]
    assert frames == ["5-0", "6-0"]
    assert CLOSE_SLOW == 4413


def test_an_idle_socket_is_closed(gateway, new_user):
    user, headers = new_user()

    async def scenario() -> int:
        async with connect(f"ws://127.0.0.1:{gateway.port}/ws/", additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await receive(ws)
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(_age_all(gateway.gateway), gateway.loop)
            )
            try:
                await receive(ws)
            except ConnectionClosed as exc:
                return exc.rcvd.code
            return 0

    assert run(scenario()) == CLOSE_IDLE


async def _age_all(gateway: Any) -> int:
    for conn in gateway.all_connections():
        conn.last_frame -= gateway.idle_seconds + 1
    return gateway.close_idle()
