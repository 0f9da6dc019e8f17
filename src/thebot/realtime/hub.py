"""The hub: one ordered stream of events per user, kept ``REALTIME_REPLAY_SECONDS``.

Publishers (web processes and workers, after commit) append one entry per user of an event;
gateways hear every publication live and read a user's stream to replay what a socket
missed. Two implementations share this interface: ``MemoryHub`` (one process: development
and tests) and ``thebot.realtime.redis_hub.RedisHub`` (production: Redis streams, so any
gateway process can serve any user and ``resume`` works across processes).

Entry ids are Redis stream ids, ``"<milliseconds>-<sequence>"``: increasing per user,
compared as a pair of integers (``parse_id``), opaque to clients.
"""

from __future__ import annotations

import asyncio
import collections
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

EventId = tuple[int, int]


def as_text(value: Any) -> str:
    """A Redis reply (bytes or not) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_id(text: Any) -> EventId | None:
    """``"1700000000000-3"`` as ``(1700000000000, 3)``; ``None`` when it is not an id."""
    if not isinstance(text, str) or len(text) > 42:
        return None
    ms, _, seq = text.partition("-")
    if not (ms.isdigit() and seq.isdigit()):
        return None
    return int(ms), int(seq)


def format_id(event_id: EventId) -> str:
    return f"{event_id[0]}-{event_id[1]}"


def encode(data: Any) -> str:
    """JSON text of an event payload (compact; non-ASCII kept)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Entry:
    """One event in one user's stream. ``data`` is JSON text; ``ts`` the commit time."""

    id: str
    type: str
    data: str
    ts: float

    @property
    def key(self) -> EventId:
        parsed = parse_id(self.id)
        assert parsed is not None
        return parsed

    def frame(self) -> str:
        """The frame sent to clients: ``{"id", "type", "data"}``."""
        return f'{{"id":"{self.id}","type":{json.dumps(self.type)},"data":{self.data}}}'


@dataclass(frozen=True)
class Published:
    """One publication as the gateways hear it: the event, and its id in each user's stream."""

    ids: dict[int, str]
    type: str
    data: str
    ts: float

    def entry(self, user_id: int) -> Entry:
        return Entry(self.ids[user_id], self.type, self.data, self.ts)


class Resync(Exception):
    """The missed events cannot be replayed: the client must reload over REST."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # expired | unknown_id | too_many | unavailable


Listener = Callable[[Published], None]


class MemoryHub:
    """The hub in one process's memory: thread-safe publishing, asyncio listeners."""

    kind = "memory"

    def __init__(self, retention_seconds: int, clock: Callable[[], float] = time.time):
        self.retention = retention_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._streams: dict[int, collections.deque[Entry]] = {}
        self._last: EventId = (0, 0)
        self._seen: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._listeners: list[tuple[asyncio.AbstractEventLoop, Listener]] = []

    # -- publishing (any thread) ------------------------------------------------------------
    def publish(
        self, user_ids: Iterable[int], type_: str, data: str, ts: float, uid: str
    ) -> dict[int, str]:
        """Append the event to each user's stream (once per ``uid``); tell the listeners."""
        now = self.clock()
        with self._lock:
            self._forget_seen(now)
            if uid in self._seen:
                return {}
            self._seen[uid] = now + self.retention
            cutoff = int((now - self.retention) * 1000)
            ids: dict[int, str] = {}
            for user_id in dict.fromkeys(user_ids):
                event_id = format_id(self._next_id(now))
                stream = self._streams.setdefault(int(user_id), collections.deque())
                stream.append(Entry(event_id, type_, data, ts))
                while stream and stream[0].key[0] < cutoff:
                    stream.popleft()
                ids[int(user_id)] = event_id
            if ids:
                published = Published(ids, type_, data, ts)
                # Scheduled under the lock: listeners hear publications in id order.
                for loop, listener in list(self._listeners):
                    if not loop.is_closed():
                        loop.call_soon_threadsafe(listener, published)
        return ids

    def publish_many(
        self, items: Iterable[tuple[Iterable[int], str, str, float, str]]
    ) -> list[dict[int, str]]:
        """``publish`` each ``(user_ids, type, data, ts, uid)`` in turn."""
        return [self.publish(*item) for item in items]

    def _next_id(self, now: float) -> EventId:
        ms = int(now * 1000)
        self._last = (ms, 0) if ms > self._last[0] else (self._last[0], self._last[1] + 1)
        return self._last

    def _forget_seen(self, now: float) -> None:
        while self._seen:
            uid, expiry = next(iter(self._seen.items()))
            if expiry > now:
                break
            self._seen.popitem(last=False)

    # -- gateways (an event loop) -----------------------------------------------------------
    async def start(self, listener: Listener, on_reconnect: Callable[[], Any]) -> None:
        """Hear every publication from now on, on the running loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._listeners.append((loop, listener))

    async def stop(self, listener: Listener) -> None:
        with self._lock:
            self._listeners = [(lo, li) for lo, li in self._listeners if li is not listener]

    async def read(self, user_id: int, after: str, limit: int, seen: bool = True) -> list[Entry]:
        """The user's events after ``after`` (at most ``limit``), or ``Resync``."""
        return self.read_now(user_id, after, limit)

    def read_now(self, user_id: int, after: str, limit: int) -> list[Entry]:
        key = parse_id(after)
        if key is None:
            raise Resync("unknown_id")
        with self._lock:
            if key[0] < int((self.clock() - self.retention) * 1000):
                raise Resync("expired")
            if key > self._last:
                raise Resync("unknown_id")
            entries = [e for e in self._streams.get(int(user_id), ()) if e.key > key]
        if len(entries) > limit:
            raise Resync("too_many")
        return entries

    def last_id(self) -> str:
        """The newest id handed out (a cursor for a socket that has seen nothing yet)."""
        with self._lock:
            return format_id(self._last)

    def close(self) -> None:
        with self._lock:
            self._listeners.clear()
