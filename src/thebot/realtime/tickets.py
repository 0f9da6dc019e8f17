"""Tickets: how a browser (which cannot set headers on a WebSocket) proves who it is.

``POST /api/realtime/ticket/`` issues 32 random bytes, valid once for ``TICKET_SECONDS``;
only their SHA-256 is stored (Redis with the Redis hub, so any gateway process can redeem
it; memory with the in-process gateway). The ticket remembers the credential it was issued
on (the API token or the session), so logging out or revoking that credential also closes
the socket opened with it.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import redis

from thebot.accounts.credentials.tokens import hash_key

TICKET_SECONDS = 60
TICKET_BYTES = 32
REDIS_PREFIX = "ticket:"  # after the hub's prefix: ``thebot:realtime:ticket:...``
OUTAGE_COMPONENT = "realtime tickets"


@dataclass(frozen=True)
class Credential:
    """Who a socket belongs to and what it was opened with (re-checked while it is open)."""

    user_id: int
    token_id: int | None = None  # an API token (``Authorization: Token``)
    session_hash: str | None = None  # a browser session (hash of the cookie key)


class MemoryTickets:
    def __init__(self, clock: Any = time.time):
        self.clock = clock
        self._lock = threading.Lock()
        self._tickets: dict[str, tuple[float, Credential]] = {}

    def put(self, key_hash: str, credential: Credential, seconds: int) -> None:
        now = self.clock()
        with self._lock:
            for key in [k for k, (expiry, _) in self._tickets.items() if expiry <= now]:
                del self._tickets[key]
            self._tickets[key_hash] = (now + seconds, credential)

    def take(self, key_hash: str) -> Credential | None:
        with self._lock:
            found = self._tickets.pop(key_hash, None)
        if found is None or found[0] <= self.clock():
            return None
        return found[1]


class RedisTickets:
    def __init__(self, client: redis.Redis, hub_prefix: str = "thebot:realtime:"):
        self.client = client
        self.prefix = hub_prefix + REDIS_PREFIX

    def put(self, key_hash: str, credential: Credential, seconds: int) -> None:
        self.client.set(self.prefix + key_hash, json.dumps(asdict(credential)), ex=seconds)

    def take(self, key_hash: str) -> Credential | None:
        raw = self.client.getdel(self.prefix + key_hash)  # single use, atomically
        return Credential(**json.loads(raw)) if raw else None


def issue(store: Any, credential: Credential, now: dt.datetime) -> tuple[str, dt.datetime]:
    """A new ticket for ``credential``: the clear value (shown once) and its expiry."""
    ticket = secrets.token_urlsafe(TICKET_BYTES)
    store.put(hash_key(ticket), credential, TICKET_SECONDS)
    return ticket, now + dt.timedelta(seconds=TICKET_SECONDS)


def redeem(store: Any, ticket: str) -> Credential | None:
    """The credential of a live, unused ticket (and the ticket is used up), else ``None``."""
    if not ticket or len(ticket) > 128:
        return None
    return store.take(hash_key(ticket))
