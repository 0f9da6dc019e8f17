"""One socket: its bounded send queue, its cursor in the user's stream, resume and catch-up.

Frames for a socket go through a queue of at most ``REALTIME_SEND_QUEUE`` frames, written
by one task; a client that reads too slowly to keep it below the bound is disconnected
(close code ``4413``) instead of growing the gateway's memory.

Live events are held back until delivery starts: at the client's first frame (``resume``
replays the missed events first, so they arrive in order and once), or ``RESUME_GRACE``
seconds after the handshake for a client that sends nothing. The cursor (the last event id
queued) skips anything already sent: live events that were also in the replay, or a replay
after the hub reconnected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from websockets.exceptions import ConnectionClosed

from thebot.realtime.hub import Entry, EventId, Resync, format_id
from thebot.realtime.tickets import Credential

log = logging.getLogger(__name__)

RESUME_GRACE = 1.0  # seconds a fresh socket waits for ``resume`` before live delivery
CLOSE_REVOKED = 4401  # the token/session was revoked or expired, or the user deactivated
CLOSE_IDLE = 4408  # no client frame within REALTIME_IDLE_SECONDS
CLOSE_SLOW = 4413  # the send queue overflowed: the client reads too slowly


def control(type_: str, data: dict[str, Any]) -> str:
    """A frame that is no stream event (``id`` is null): pong, ack, error, resync."""
    return json.dumps({"id": None, "type": type_, "data": data}, separators=(",", ":"))


class Connection:
    def __init__(self, gateway: Any, websocket: Any, credential: Credential):
        self.gateway = gateway
        self.websocket = websocket
        self.credential = credential
        self.user_id = credential.user_id
        self.queue: asyncio.Queue[tuple[str, float | None]] = asyncio.Queue(
            gateway.send_queue_size
        )
        self.started = False
        self.held: list[Entry] = []  # live events before delivery starts
        self.cursor: EventId | None = None  # the last event id queued
        self.first: EventId | None = None  # the first event id queued
        self.opened_ms = int(time.time() * 1000)
        self.last_frame = time.monotonic()
        self.closing = False

    # -- outgoing ---------------------------------------------------------------------------
    def offer(self, entry: Entry) -> None:
        """A live event of this socket's user (called on the gateway's loop)."""
        if self.closing:
            return
        if not self.started:
            self.held.append(entry)
            if len(self.held) > self.gateway.send_queue_size:
                self.close(CLOSE_SLOW, "too many events waiting")
            return
        self._queue_entry(entry)

    def _queue_entry(self, entry: Entry) -> None:
        key = entry.key
        if self.cursor is not None and key <= self.cursor:
            return  # already queued
        self.cursor = key
        if self.first is None:
            self.first = key
        self.put(entry.frame(), entry.ts)

    def put(self, frame: str, committed_at: float | None = None) -> None:
        if self.closing:
            return
        try:
            self.queue.put_nowait((frame, committed_at))
        except asyncio.QueueFull:
            self.close(CLOSE_SLOW, "client too slow")

    async def writer(self) -> None:
        stats = self.gateway.stats
        try:
            while True:
                frame, committed_at = await self.queue.get()
                await self.websocket.send(frame)
                if committed_at is not None:
                    stats.frame_written(committed_at)
        except ConnectionClosed:  # the reading side sees it too and cleans up
            return

    def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        self.gateway.stats.closed_by_gateway(reason)
        self.gateway.spawn(self.websocket.close(code, reason))

    # -- delivery ---------------------------------------------------------------------------
    def start(self) -> None:
        """Deliver live events from now on (those held back first)."""
        if self.started or self.closing:
            return
        self.started = True
        held, self.held = self.held, []
        for entry in held:
            self._queue_entry(entry)

    async def resume(self, last_id: str) -> None:
        """Replay the user's events after ``last_id`` (or tell the client to resync)."""
        try:
            entries = await self.gateway.hub.read(self.user_id, last_id, self.gateway.resume_max)
        except Resync as exc:
            self.put(control("resync", {"reason": exc.reason}))
            self.start()
            return
        boundary = self.first
        for entry in entries:
            if boundary is None:
                self._queue_entry(entry)
            elif entry.key < boundary:
                # ``resume`` after live delivery began: only the gap before this socket.
                self.put(entry.frame(), entry.ts)
        self.start()

    async def catch_up(self) -> None:
        """After the hub reconnected: queue what was published meanwhile."""
        if not self.started or self.closing:
            return
        seen = self.cursor is not None
        after = format_id(self.cursor) if self.cursor is not None else f"{self.opened_ms}-0"
        try:
            entries = await self.gateway.hub.read(
                self.user_id, after, self.gateway.resume_max, seen=seen
            )
        except Resync as exc:
            self.put(control("resync", {"reason": exc.reason}))
            return
        for entry in entries:
            self._queue_entry(entry)
