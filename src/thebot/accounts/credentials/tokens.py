"""API tokens: 32 random bytes shown once, stored as SHA-256, expiring, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from thebot.accounts.models import AuthToken, User
from thebot.db import utcnow

TOKEN_BYTES = 32


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(dbsession: Session, user: User, lifetime: dt.timedelta) -> tuple[str, AuthToken]:
    """Create a token; the clear key is returned once and never stored."""
    key = secrets.token_urlsafe(TOKEN_BYTES)
    token = AuthToken(user_id=user.id, key_hash=hash_key(key), expires_at=utcnow() + lifetime)
    dbsession.add(token)
    dbsession.flush()
    return key, token


# Built once: every authenticated request runs it (constructing it each time costs more
# than the indexed lookup itself). The user comes in the same query.
_BY_HASH = (
    select(AuthToken)
    .options(joinedload(AuthToken.user))
    .where(AuthToken.key_hash == bindparam("key_hash"))
)


def find_token(dbsession: Session, key: str) -> AuthToken | None:
    """The live token for ``key`` (lookup by hash: an index hit, no timing oracle on the key)."""
    token = dbsession.execute(_BY_HASH, {"key_hash": hash_key(key)}).scalar_one_or_none()
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    return token


def revoke_tokens(dbsession: Session, user_id: int, *, keep_id: int | None = None) -> int:
    """Revoke every live token of a user (except ``keep_id``); returns how many."""
    stmt = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    if keep_id is not None:
        stmt = stmt.where(AuthToken.id != keep_id)
    # An UPDATE runs on a cursor; Session.execute is only typed as returning rows.
    revoked = cast("CursorResult[Any]", dbsession.execute(stmt.values(revoked_at=utcnow())))
    return revoked.rowcount
