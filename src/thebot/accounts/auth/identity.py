"""The identity sources accounts plugs into the core security policy (``thebot.security``):
API tokens from the ``Authorization`` header and server-side sessions from the cookie."""

from __future__ import annotations

from typing import Any

from thebot.accounts.credentials import sessions
from thebot.accounts.credentials.tokens import find_token
from thebot.accounts.models import User
from thebot.api import Request
from thebot.security import Identity, user_identity


def token_identity(request: Request, credentials: str) -> Identity | None:
    """The owner of a live API token, if they are active."""
    token = find_token(request.dbsession, credentials)
    if token is None or not token.user.is_active:
        return None
    return user_identity(token.user, token=token)


def session_identity(request: Request, key: str) -> Identity | None:
    """The owner of the live session named by the cookie value, if they are active."""
    data = sessions.load_session(request.registry, request.dbsession, key)
    if data is None:
        return None
    user = request.dbsession.get(User, data.user_id)
    if user is None or not user.is_active:
        return None
    return user_identity(user, session=data)


def session_csrf_token(request: Request, session: sessions.SessionData) -> str:
    return sessions.csrf_token(request.registry.settings["secret_key"], session)


def includeme(config: Any) -> None:
    config.add_identity_source("token", token_identity)
    config.add_identity_source(
        "cookie",
        session_identity,
        cookie_name=sessions.COOKIE_NAME,
        csrf_token=session_csrf_token,
    )
