"""Server-side browser sessions: a random key in a cookie, the session in Redis or the database.

The cookie carries 32 random bytes; the store keeps only their SHA-256, so a leaked database
or Redis dump does not yield usable cookies. The CSRF token of a session is an HMAC of its key
under ``secret_key``: nothing extra to store, and it changes whenever the session does.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from thebot.accounts.credentials.tokens import hash_key
from thebot.accounts.models import ServerSession
from thebot.api import Request
from thebot.db import utcnow
from thebot.errors import APIProblem
from thebot.outages import OUTAGES

log = logging.getLogger(__name__)

COOKIE_NAME = "thebot_session"
KEY_BYTES = 32
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43,64}$")  # what token_urlsafe(32) produces
LAST_SEEN_EVERY = dt.timedelta(minutes=5)  # throttles the database write on each request
REDIS_PREFIX = "session:"  # after REDIS_KEY_PREFIX
REDIS_USER_PREFIX = "user-sessions:"
OUTAGE_COMPONENT = "session store"  # one log line per outage (thebot.outages)


@dataclass
class SessionData:
    """A live session. ``key`` is the clear cookie value: kept in memory only, never logged."""

    key_hash: str
    user_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    key: str = field(default="", repr=False)


class SessionStore(Protocol):
    def create(
        self,
        dbsession: Session,
        key_hash: str,
        user_id: int,
        lifetime: dt.timedelta,
        ip: str | None,
        user_agent: str | None,
    ) -> SessionData: ...

    def load(self, dbsession: Session, key_hash: str) -> SessionData | None: ...

    def revoke(self, dbsession: Session, key_hash: str) -> None: ...

    def revoke_all(self, dbsession: Session, user_id: int, *, keep: str | None = None) -> int: ...


class DatabaseSessionStore:
    """Sessions in ``auth_session``, inside the request's transaction."""

    def create(
        self,
        dbsession: Session,
        key_hash: str,
        user_id: int,
        lifetime: dt.timedelta,
        ip: str | None,
        user_agent: str | None,
    ) -> SessionData:
        now = utcnow()
        row = ServerSession(
            key_hash=key_hash,
            user_id=user_id,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
            ip=(ip or None) and ip[:64],
            user_agent=(user_agent or None) and user_agent[:512],
        )
        dbsession.add(row)
        dbsession.flush()
        return SessionData(key_hash, user_id, row.created_at, row.expires_at)

    def load(self, dbsession: Session, key_hash: str) -> SessionData | None:
        row = dbsession.execute(
            select(ServerSession).where(ServerSession.key_hash == key_hash)
        ).scalar_one_or_none()
        now = utcnow()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        if row.last_seen_at is None or now - row.last_seen_at >= LAST_SEEN_EVERY:
            row.last_seen_at = now
        return SessionData(row.key_hash, row.user_id, row.created_at, row.expires_at)

    def revoke(self, dbsession: Session, key_hash: str) -> None:
        dbsession.execute(
            update(ServerSession)
            .where(ServerSession.key_hash == key_hash, ServerSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )

    def revoke_all(self, dbsession: Session, user_id: int, *, keep: str | None = None) -> int:
        stmt = update(ServerSession).where(
            ServerSession.user_id == user_id, ServerSession.revoked_at.is_(None)
        )
        if keep is not None:
            stmt = stmt.where(ServerSession.key_hash != keep)
        # An UPDATE runs on a cursor; Session.execute is only typed as returning rows.
        revoked = cast("CursorResult[Any]", dbsession.execute(stmt.values(revoked_at=utcnow())))
        return revoked.rowcount


class RedisSessionStore:
    """Sessions as Redis keys expiring with the session, plus a set of each user's sessions.

    Redis is not part of the transaction: revocations take effect at once even if the request
    later fails, which errs on the safe side.
    """

    def __init__(self, client: Any, prefix: str = "thebot:"):
        self.client = client
        self.prefix = prefix + REDIS_PREFIX  # ``REDIS_KEY_PREFIX`` + ``session:``
        self.user_prefix = prefix + REDIS_USER_PREFIX

    def create(
        self,
        dbsession: Session,
        key_hash: str,
        user_id: int,
        lifetime: dt.timedelta,
        ip: str | None,
        user_agent: str | None,
    ) -> SessionData:
        import redis

        now = utcnow()
        data = SessionData(key_hash, user_id, now, now + lifetime)
        payload = {
            "user_id": user_id,
            "created_at": now.isoformat(),
            "expires_at": data.expires_at.isoformat(),
            "ip": ip,
            "user_agent": (user_agent or "")[:512] or None,
        }
        seconds = max(1, int(lifetime.total_seconds()))
        user_key = f"{self.user_prefix}{user_id}"
        try:
            pipe = self.client.pipeline()
            pipe.set(self.prefix + key_hash, json.dumps(payload), ex=seconds)
            pipe.sadd(user_key, key_hash)
            pipe.ttl(user_key)
            user_ttl = pipe.execute()[-1]
            # The index of a user's sessions outlives the longest of them (never shortened,
            # should the lifetime setting shrink while older sessions still run).
            if user_ttl < seconds:
                self.client.expire(user_key, seconds)
        except redis.RedisError as exc:
            OUTAGES.failed(OUTAGE_COMPONENT, exc)
            raise APIProblem(503, "Sessions are unavailable right now; use a token.") from exc
        OUTAGES.recovered(OUTAGE_COMPONENT)
        return data

    def load(self, dbsession: Session, key_hash: str) -> SessionData | None:
        import redis

        try:
            raw = self.client.get(self.prefix + key_hash)
        except redis.RedisError as exc:
            # Fail closed: the caller is anonymous until the store answers again.
            OUTAGES.failed(OUTAGE_COMPONENT, exc)
            return None
        OUTAGES.recovered(OUTAGE_COMPONENT)
        if raw is None:
            return None
        try:
            payload = json.loads(raw)
            data = SessionData(
                key_hash,
                int(payload["user_id"]),
                dt.datetime.fromisoformat(payload["created_at"]),
                dt.datetime.fromisoformat(payload["expires_at"]),
            )
        except (ValueError, KeyError, TypeError):
            log.warning("discarding a malformed session record")
            return None
        return data if data.expires_at > utcnow() else None

    def revoke(self, dbsession: Session, key_hash: str) -> None:
        self._run(lambda: self.client.delete(self.prefix + key_hash))

    def revoke_all(self, dbsession: Session, user_id: int, *, keep: str | None = None) -> int:
        user_key = f"{self.user_prefix}{user_id}"

        def run() -> int:
            members = {
                m.decode() if isinstance(m, bytes) else m for m in self.client.smembers(user_key)
            }
            doomed = sorted(members - {keep})
            if not doomed:
                return 0
            pipe = self.client.pipeline()
            pipe.delete(*(self.prefix + h for h in doomed))
            pipe.srem(user_key, *doomed)
            return int(pipe.execute()[0])

        return self._run(run)

    def _run(self, operation: Any) -> Any:
        import redis

        try:
            result = operation()
        except redis.RedisError as exc:
            # A revocation that did not happen must not look like one that did.
            OUTAGES.failed(OUTAGE_COMPONENT, exc)
            raise APIProblem(503, "Sessions are unavailable right now; try again.") from exc
        OUTAGES.recovered(OUTAGE_COMPONENT)
        return result


def make_store(settings: dict[str, Any]) -> SessionStore:
    url = settings.get("redis_url")
    if not url:
        return DatabaseSessionStore()
    import redis

    client = redis.Redis.from_url(
        url,
        socket_timeout=settings["redis_timeout"],
        socket_connect_timeout=settings["redis_timeout"],
    )
    return RedisSessionStore(client, settings["redis_key_prefix"])


def get_store(registry: Any) -> SessionStore:
    return registry["session_store"]


def create_session(
    registry: Any,
    dbsession: Session,
    user_id: int,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
) -> SessionData:
    """Start a session; the returned ``key`` goes in the cookie and nowhere else."""
    key = secrets.token_urlsafe(KEY_BYTES)
    lifetime = dt.timedelta(hours=registry.settings["session_lifetime_hours"])
    data = get_store(registry).create(dbsession, hash_key(key), user_id, lifetime, ip, user_agent)
    data.key = key
    return data


def load_session(registry: Any, dbsession: Session, key: str) -> SessionData | None:
    """The live session for a cookie value, or ``None``."""
    if not KEY_RE.match(key or ""):
        return None
    data = get_store(registry).load(dbsession, hash_key(key))
    if data is not None:
        data.key = key
    return data


def revoke_session(registry: Any, dbsession: Session, data: SessionData) -> None:
    get_store(registry).revoke(dbsession, data.key_hash)


def revoke_user_sessions(
    registry: Any, dbsession: Session, user_id: int, *, keep: SessionData | None = None
) -> int:
    """End every session of a user (but ``keep``); returns how many ended."""
    keep_hash = keep.key_hash if keep is not None else None
    return get_store(registry).revoke_all(dbsession, user_id, keep=keep_hash)


def csrf_token(secret_key: str, data: SessionData) -> str:
    """The CSRF token of a session: an HMAC of its key, so nothing more is stored."""
    digest = hmac.new(secret_key.encode(), b"thebot-csrf:" + data.key.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def set_cookie(request: Request, response: Any, data: SessionData) -> None:
    """HttpOnly, SameSite=Lax, Secure outside debug; lives as long as the session."""
    seconds = max(0, round((data.expires_at - utcnow()).total_seconds()))
    response.set_cookie(
        COOKIE_NAME,
        data.key,
        max_age=seconds,
        path="/",
        secure=not request.registry.settings["debug"],
        httponly=True,
        samesite="Lax",
    )


def clear_cookie(request: Request, response: Any) -> None:
    response.set_cookie(
        COOKIE_NAME,
        None,
        path="/",
        secure=not request.registry.settings["debug"],
        httponly=True,
        samesite="Lax",
    )


def includeme(config: Any) -> None:
    config.registry["session_store"] = make_store(config.get_settings())
