"""Who a socket belongs to: the handshake's ticket or token, re-checked while it is open.

Every database call here is blocking and runs in the gateway's worker threads, each on a
session of its own that is rolled back (nothing is written). Tokens are looked up with the
accounts feature's own functions (``find_token``, the session store), never re-implemented.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from thebot.accounts.credentials.sessions import get_store
from thebot.accounts.credentials.tokens import find_token
from thebot.accounts.models import AuthToken, User
from thebot.db import utcnow
from thebot.realtime import tickets
from thebot.realtime.tickets import Credential
from thebot.security import bearer_credentials
from thebot.tweens import host_allowed

CHUNK = 500  # ids per IN (...) when re-checking many sockets


class _Headers:
    """``bearer_credentials`` reads ``request.headers``: the handshake's headers as such."""

    def __init__(self, headers: Any):
        self.headers = headers


def handshake_secret(path: str, headers: Any) -> tuple[str, str] | None:
    """``("ticket", value)`` from ``?ticket=``, else ``("token", key)`` from the header."""
    query = parse_qs(urlsplit(path).query)
    ticket = (query.get("ticket") or [""])[0]
    if ticket:
        return "ticket", ticket
    key = bearer_credentials(_Headers(headers))
    return ("token", key) if key else None


def authenticate(registry: Any, kind: str, secret: str) -> Credential | None:
    """Blocking: the live credential behind a ticket (used up) or a token, else ``None``."""
    if kind == "ticket":
        credential = tickets.redeem(registry["realtime_tickets"], secret)
        if credential is None or not still_valid(registry, [credential]):
            return None
        return credential
    session = registry["dbsession_factory"]()
    try:
        token = find_token(session, secret)
        if token is None or not token.user.is_active:
            return None
        return Credential(user_id=token.user_id, token_id=token.id)
    finally:
        session.rollback()
        session.close()


def still_valid(registry: Any, credentials: Iterable[Credential]) -> set[Credential]:
    """Blocking: those of ``credentials`` whose user is active and credential live."""
    wanted = set(credentials)
    if not wanted:
        return set()
    session = registry["dbsession_factory"]()
    try:
        now = utcnow()
        active = _ids(
            session,
            lambda chunk: select(User.id).where(User.id.in_(chunk), User.is_active.is_(True)),
            {c.user_id for c in wanted},
        )
        live_tokens = _ids(
            session,
            lambda chunk: select(AuthToken.id).where(
                AuthToken.id.in_(chunk),
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
            ),
            {c.token_id for c in wanted if c.token_id is not None},
        )
        store = get_store(registry)
        live_sessions = set()
        for key_hash in {c.session_hash for c in wanted if c.session_hash is not None}:
            data = store.load(session, key_hash)
            if data is not None:
                live_sessions.add((key_hash, data.user_id))
        return {
            c
            for c in wanted
            if c.user_id in active
            and (c.token_id is None or c.token_id in live_tokens)
            and (c.session_hash is None or (c.session_hash, c.user_id) in live_sessions)
            and (c.token_id is not None or c.session_hash is not None)
        }
    finally:
        session.rollback()
        session.close()


def _ids(session: Any, query: Any, ids: set[int]) -> set[int]:
    found: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        found.update(session.scalars(query(ordered[start : start + CHUNK])))
    return found


def origin_allowed(origin: str | None, settings: dict[str, Any]) -> bool:
    """Browsers send ``Origin``: it must be a CORS origin or one of the app's own hosts.
    Other clients send none and prove themselves with the ticket or token alone."""
    if origin is None:
        return True
    if origin.rstrip("/") in {o.rstrip("/") for o in settings.get("cors_allowed_origins", [])}:
        return True
    host = urlsplit(origin).netloc
    return bool(host) and host_allowed(host, settings.get("allowed_hosts", []))
