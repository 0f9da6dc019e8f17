"""The production hub: one Redis stream per user, one channel every gateway listens to.

Publishing is one Lua script, atomic on the Redis server: skip a ``uid`` seen before (the
outbox may hand an event over twice), ``XADD`` the event to each user's stream trimmed to
``REALTIME_REPLAY_SECONDS`` (``MINID``, and the key expires with its last entry), then
``PUBLISH`` the ids on one channel. Being one script, publications reach the channel in the
order of their ids, so a gateway never sees a user's events out of order.

Gateways subscribe to the channel and pick the users whose sockets they hold; ``resume``
reads the user's stream (``XRANGE``). When the subscription drops, the gateway reconnects
and replays each socket's stream from the last id it sent: a Redis hiccup loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis
import redis.asyncio as aioredis

from thebot.outages import OUTAGES
from thebot.realtime.hub import (
    Entry,
    Listener,
    Published,
    Resync,
    as_text,
    format_id,
    parse_id,
)

log = logging.getLogger(__name__)

PREFIX = "realtime:"  # after REDIS_KEY_PREFIX: ``thebot:realtime:...``
OUTAGE_COMPONENT = "realtime hub"

PUBLISH = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) == false then return '' end
local ids = {}
local parts = {}
for i = 2, #KEYS do
  local id = redis.call('XADD', KEYS[i], 'MINID', '~', ARGV[1], '*',
                        't', ARGV[3], 'd', ARGV[4], 'ts', ARGV[5])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
  ids[#ids + 1] = id
  parts[#parts + 1] = '"' .. ARGV[i + 5] .. '":"' .. id .. '"'
end
redis.call('PUBLISH', ARGV[6], '{"ids":{' .. table.concat(parts, ',') .. '},"t":'
  .. cjson.encode(ARGV[3]) .. ',"ts":' .. ARGV[5] .. ',"d":' .. ARGV[4] .. '}')
return table.concat(ids, ' ')
"""


class RedisHub:
    kind = "redis"

    def __init__(
        self, url: str, retention_seconds: int, timeout: float = 2.0, key_prefix: str = "thebot:"
    ):
        self.url = url
        self.prefix = key_prefix + PREFIX  # the hub's keys, tickets and gateway snapshots
        self.channel = self.prefix + "events"
        self.retention = retention_seconds
        self.timeout = timeout
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._script = self.client.register_script(PUBLISH)
        # Per event loop: a process may run several gateways, each on a loop of its own.
        self._aio: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
        self._tasks: dict[Any, asyncio.Task] = {}

    # -- publishing (any thread; raises when Redis is unreachable) --------------------------
    def publish(
        self, user_ids: Iterable[int], type_: str, data: str, ts: float, uid: str
    ) -> dict[int, str]:
        users, keys, args = self._call(user_ids, type_, data, ts, uid)
        if not users:
            return {}
        return _ids(users, self._script(keys=keys, args=args))

    def publish_many(
        self, items: Iterable[tuple[Iterable[int], str, str, float, str]]
    ) -> list[dict[int, str]]:
        """``publish`` each ``(user_ids, type, data, ts, uid)``, in order, in one round trip
        (a pipeline of the script; loaded first if Redis does not know it)."""
        items = list(items)
        if len(items) <= 1:  # the script alone: one round trip, no pipeline
            return [self.publish(*item) for item in items]
        calls = [self._call(*item) for item in items]
        todo = [call for call in calls if call[0]]
        for _attempt in (1, 2):
            pipe = self.client.pipeline(transaction=False)
            for _, keys, args in todo:
                pipe.evalsha(self._script.sha, len(keys), *keys, *args)
            results = pipe.execute(raise_on_error=False)
            if not any(isinstance(r, redis.exceptions.NoScriptError) for r in results):
                break
            self.client.script_load(PUBLISH)  # a restarted Redis forgot it: once more
        for result in results:
            if isinstance(result, Exception):
                raise result
        found = iter(results)
        return [_ids(users, next(found)) if users else {} for users, _, _ in calls]

    def _call(
        self, user_ids: Iterable[int], type_: str, data: str, ts: float, uid: str
    ) -> tuple[list[int], list[str], list[str]]:
        """The users, keys and arguments of the publish script for one event."""
        users = [int(u) for u in dict.fromkeys(user_ids)]
        minid = str(int((time.time() - self.retention) * 1000))
        keys = [self.prefix + "seen:" + uid] + [self.stream_key(u) for u in users]
        args = [minid, str(self.retention), type_, data, repr(float(ts)), self.channel]
        return users, keys, args + [str(u) for u in users]

    def stream_key(self, user_id: int) -> str:
        return f"{self.prefix}u:{int(user_id)}"

    # -- gateways ---------------------------------------------------------------------------
    def _async_client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self._aio.get(loop)
        if client is None:
            for old in [lo for lo in self._aio if lo.is_closed()]:
                del self._aio[old]
            client = self._aio[loop] = aioredis.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
        return client

    async def start(self, listener: Listener, on_reconnect: Callable[[], Any]) -> None:
        """Listen to the channel in a task of the running loop until ``stop``."""
        ready = asyncio.Event()
        self._tasks[listener] = asyncio.create_task(self._listen(listener, on_reconnect, ready))
        await asyncio.wait_for(ready.wait(), timeout=max(5.0, self.timeout * 3))

    async def _listen(
        self, listener: Listener, on_reconnect: Callable[[], Any], ready: asyncio.Event
    ) -> None:
        delay, lost = 0.5, False
        while True:
            pubsub = None
            try:
                # Its own connection, without a read timeout: it idles between events.
                client = aioredis.Redis.from_url(self.url, socket_connect_timeout=self.timeout)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                ready.set()
                if lost:
                    OUTAGES.recovered(OUTAGE_COMPONENT)
                    lost = False
                    await on_reconnect()
                delay = 0.5
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        published = decode(message["data"])
                    except (ValueError, KeyError, TypeError):
                        log.error("realtime hub: unreadable message skipped")
                        continue
                    listener(published)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: reconnect, then catch the sockets up
                OUTAGES.failed(OUTAGE_COMPONENT, exc, "reconnecting; sockets will catch up")
                lost = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # the connection is already gone
                        await pubsub.aclose()
                        await client.aclose()

    async def stop(self, listener: Listener) -> None:
        task = self._tasks.pop(listener, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        client = self._aio.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    async def read(self, user_id: int, after: str, limit: int, seen: bool = True) -> list[Entry]:
        """The user's events after ``after`` (at most ``limit``), or ``Resync``.

        ``seen``: ``after`` is an id the client received (not merely a time)."""
        key = parse_id(after)
        if key is None:
            raise Resync("unknown_id")
        if key[0] < int((time.time() - self.retention) * 1000):
            raise Resync("expired")
        client = self._async_client()
        name = self.stream_key(user_id)
        newest = await client.xrevrange(name, count=1)
        if not newest:
            if not seen:
                return []
            # The stream expires only ``retention`` after its last entry, which is newer than
            # ``after``: no stream means Redis lost it.
            raise Resync("unavailable")
        if key > (parse_id(as_text(newest[0][0])) or (0, 0)):
            raise Resync("unknown_id")
        rows: list[Any] = (
            await client.xrange(name, min="(" + format_id(key), max="+", count=limit + 1) or []
        )
        if len(rows) > limit:
            raise Resync("too_many")
        return [
            Entry(
                as_text(event_id),
                as_text(fields[b"t"]),
                as_text(fields[b"d"]),
                float(as_text(fields[b"ts"])),
            )
            for event_id, fields in rows
        ]

    def close(self) -> None:
        self.client.close()


def _ids(users: list[int], ids: Any) -> dict[int, str]:
    """The script's answer: each user's stream id, space-separated (one bulk string, not an
    array of as many replies); none when the uid was published before."""
    text = as_text(ids) if ids else ""
    if not text:
        return {}
    return dict(zip(users, text.split(" "), strict=True))


def decode(raw: Any) -> Published:
    """A channel message; the payload's JSON text is kept as it came (not parsed)."""
    text = as_text(raw)
    cut = text.index(',"d":')  # ids, type and time come first and cannot contain it
    head = json.loads(text[:cut] + "}")
    ids = {int(user): str(event_id) for user, event_id in head["ids"].items()}
    return Published(ids, head["t"], text[cut + 5 : -1], float(head["ts"]))
