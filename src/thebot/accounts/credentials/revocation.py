"""Ending every login of an account: its API tokens and its browser sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from thebot.accounts.credentials.sessions import SessionData, revoke_user_sessions
from thebot.accounts.credentials.tokens import revoke_tokens
from thebot.accounts.models import ServerSession
from thebot.db import utcnow


def revoke_access(
    dbsession: Session,
    user_id: int,
    registry: Any = None,
    *,
    keep_token_id: int | None = None,
    keep_session: SessionData | None = None,
) -> None:
    """End every API token and browser session of a user, except the ones to keep.

    With the application ``registry`` the configured session store (Redis or database) is
    used; without it (scripts, tests) the database sessions are revoked directly.
    """
    revoke_tokens(dbsession, user_id, keep_id=keep_token_id)
    if registry is not None:
        revoke_user_sessions(registry, dbsession, user_id, keep=keep_session)
        return
    stmt = update(ServerSession).where(
        ServerSession.user_id == user_id, ServerSession.revoked_at.is_(None)
    )
    if keep_session is not None:
        stmt = stmt.where(ServerSession.key_hash != keep_session.key_hash)
    dbsession.execute(stmt.values(revoked_at=utcnow()))
