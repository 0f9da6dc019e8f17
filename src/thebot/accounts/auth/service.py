"""Authentication operations: log in, tokens, passwords, password reset.

Plain functions over a database session, the registry (for settings and the session store)
and values; the views in ``accounts.auth.views`` only parse, call these and render.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from thebot.accounts.credentials import sessions
from thebot.accounts.credentials.passwords import (
    hash_password,
    needs_rehash,
    validate_password,
    verify_password,
)
from thebot.accounts.credentials.revocation import revoke_access
from thebot.accounts.credentials.tokens import hash_key, issue_token
from thebot.accounts.models import (
    AuthToken,
    PasswordResetToken,
    Role,
    User,
)
from thebot.accounts.users.profiles import profile_data
from thebot.accounts.users.service import check_password, user_data
from thebot.db import utcnow
from thebot.errors import Invalid

RESET_TOKEN_BYTES = 32
RESET_TOKEN_LIFETIME = dt.timedelta(hours=1)
INVALID_CREDENTIALS = "Unable to log in with the provided credentials."
INACTIVE_ACCOUNT = "This account is disabled."
INVALID_RESET_TOKEN = "The password reset token is invalid or has expired."  # noqa: S105


class LoginOutcome(str, enum.Enum):
    OK = "ok"
    UNKNOWN_USER = "unknown_user"
    BAD_PASSWORD = "bad_password"  # noqa: S105 - an outcome name, not a password
    INACTIVE = "inactive"


def normalize_login(login: str) -> str:
    return login.strip().lower()


def find_user_by_login(dbsession: Session, login: str) -> User | None:
    """The account whose email (when ``login`` has an ``@``) or username is ``login``."""
    login = normalize_login(login)
    column = User.email if "@" in login else User.username  # both stored lower-cased
    return dbsession.execute(select(User).where(column == login)).scalar_one_or_none()


def limit_subject(dbsession: Session, login: str) -> str:
    """What the login rate limit counts: the account when ``login`` names one (its username
    and its email share one counter, so two spellings are not twice the guesses), else the
    normalised login itself."""
    user = find_user_by_login(dbsession, login)
    return f"user:{user.id}" if user is not None else f"login:{normalize_login(login)}"


def authenticate(
    dbsession: Session, login: str, password: str
) -> tuple[LoginOutcome, User | None]:
    """Check credentials, spending one argon2 verification whether or not the account exists.

    An inactive account is reported only to someone who knows its password, so the answer
    reveals nothing to a guesser. A correct password whose hash uses outdated argon2
    parameters is rehashed.
    """
    user = find_user_by_login(dbsession, login)
    valid = verify_password(user.password_hash if user is not None else None, password)
    if user is None:
        return LoginOutcome.UNKNOWN_USER, None
    if not valid:
        return LoginOutcome.BAD_PASSWORD, user
    if not user.is_active:
        return LoginOutcome.INACTIVE, user
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.last_login = utcnow()
    return LoginOutcome.OK, user


def token_lifetime(settings: dict[str, Any]) -> dt.timedelta:
    return dt.timedelta(days=settings["token_lifetime_days"])


def issue_api_token(
    dbsession: Session, user: User, settings: dict[str, Any]
) -> tuple[str, AuthToken]:
    return issue_token(dbsession, user, token_lifetime(settings))


def rotate_token(
    dbsession: Session, token: AuthToken, settings: dict[str, Any]
) -> tuple[str, AuthToken]:
    """A new token for the same user; the old one stops working now."""
    key, new = issue_token(dbsession, token.user, token_lifetime(settings))
    revoke_token(token)
    return key, new


def revoke_token(token: AuthToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def revoke_credentials(
    registry: Any,
    dbsession: Session,
    user: User,
    *,
    keep_token: AuthToken | None = None,
    keep_session: sessions.SessionData | None = None,
) -> None:
    """End every token and browser session of ``user`` except the ones to keep."""
    keep_token_id = keep_token.id if keep_token is not None else None
    revoke_access(
        dbsession, user.id, registry, keep_token_id=keep_token_id, keep_session=keep_session
    )


def check_new_password(password: str, user: Any, settings: dict[str, Any], field: str) -> None:
    """Raise a 400 listing every password rule that ``password`` breaks."""
    check_password(password, user, settings["password_min_length"], field)


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)


def change_password(
    registry: Any,
    dbsession: Session,
    user: User,
    new_password: str,
    *,
    keep_token: AuthToken | None = None,
    keep_session: sessions.SessionData | None = None,
) -> None:
    """Set a new password (checked against the rules) and end the caller's other logins."""
    check_new_password(new_password, user, registry.settings, "new_password")
    set_password(user, new_password)
    revoke_credentials(registry, dbsession, user, keep_token=keep_token, keep_session=keep_session)


def start_password_reset(dbsession: Session, email: str) -> tuple[User | None, str | None]:
    """A single-use reset token for the active account with ``email`` (clear token once)."""
    user = dbsession.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        return user, None
    token = secrets.token_urlsafe(RESET_TOKEN_BYTES)
    dbsession.add(
        PasswordResetToken(
            user_id=user.id, token_hash=hash_key(token), expires_at=utcnow() + RESET_TOKEN_LIFETIME
        )
    )
    dbsession.flush()
    return user, token


def reset_email(settings: dict[str, Any], user: User, token: str) -> tuple[str, str]:
    """Subject and body of the reset message."""
    url = settings.get("password_reset_url")
    if url:
        action = f"Open this link to choose a new password:\n\n{url.replace('{token}', token)}"
    else:
        action = f"Use this password reset token to choose a new password:\n\n{token}"
    body = (
        f"Hello {user.full_name},\n\n"
        "Someone (hopefully you) asked to reset the password of your THE_BOT account.\n"
        f"{action}\n\n"
        "It works once, within one hour. If you did not ask for it, ignore this message: "
        "your password stays as it is.\n"
    )
    return "Reset your THE_BOT password", body


def finish_password_reset(
    registry: Any, dbsession: Session, token: str, new_password: str
) -> User:
    """Consume a reset token, set the password, end every login of the account."""
    now = utcnow()
    row = dbsession.execute(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_key(token))
    ).scalar_one_or_none()
    user = dbsession.get(User, row.user_id) if row is not None else None
    if row is None or row.used_at is not None or row.expires_at <= now or user is None:
        raise _invalid_reset_token()
    if not user.is_active:
        raise _invalid_reset_token()
    check_new_password(new_password, user, registry.settings, "new_password")
    # Single use: this token and any other outstanding one for the account.
    dbsession.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    set_password(user, new_password)
    revoke_credentials(registry, dbsession, user)
    return user


def _invalid_reset_token() -> Invalid:
    return Invalid("token", INVALID_RESET_TOKEN)


def create_superuser(
    dbsession: Session,
    settings: dict[str, Any],
    *,
    email: str,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """An active admin account; ``ValueError`` lists what is wrong (duplicates, password)."""
    email, username = email.strip().lower(), username.strip().lower()
    problems = []
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        problems.append(f"{email!r} is not an email address.")
    if not username or "@" in username:
        problems.append("The username must be non-empty and contain no '@'.")
    taken = dbsession.execute(
        select(User.email, User.username).where(
            (User.email == email) | (User.username == username)
        )
    ).all()
    if any(row.email == email for row in taken):
        problems.append(f"An account with the email {email} already exists.")
    if any(row.username == username for row in taken):
        problems.append(f"An account with the username {username} already exists.")
    attrs = {
        "email": email,
        "username": username,
        "first_name": first_name,
        "last_name": last_name,
    }
    problems += validate_password(password, attrs, min_length=settings["password_min_length"])
    if problems:
        raise ValueError("\n".join(problems))
    user = User(
        email=email,
        username=username,
        first_name=first_name,
        last_name=last_name,
        role=Role.ADMIN.value,
        is_active=True,
        is_staff=True,
        password_hash=hash_password(password),
    )
    dbsession.add(user)
    dbsession.flush()
    return user


def user_payload(dbsession: Session, user: User) -> dict[str, Any]:
    """The account as its owner sees it: identity, role and the whole role profile."""
    return {
        **user_data(user),
        "full_name": user.full_name,
        "profile": profile_data(dbsession, user, viewer=user, private=True),
    }
