"""How long dead credentials stay: expired or revoked tokens, sessions, reset tokens and
pairing codes are deleted a grace period after they stopped working (kept briefly so the
audit trail and support questions can still refer to them)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_
from sqlalchemy.orm import Session

from thebot.accounts.models import AuthToken, PairingCode, PasswordResetToken, ServerSession

GRACE = dt.timedelta(days=7)


def purge_expired_credentials(dbsession: Session, now: dt.datetime) -> dict[str, int]:
    """Delete credentials that expired, were revoked or were used before ``now - GRACE``."""
    cutoff = now - GRACE
    counts = {}
    for name, model, ended in (
        ("tokens", AuthToken, or_(AuthToken.expires_at < cutoff, AuthToken.revoked_at < cutoff)),
        (
            "sessions",
            ServerSession,
            or_(ServerSession.expires_at < cutoff, ServerSession.revoked_at < cutoff),
        ),
        (
            "password_reset_tokens",
            PasswordResetToken,
            or_(PasswordResetToken.expires_at < cutoff, PasswordResetToken.used_at < cutoff),
        ),
        (
            "pairing_codes",
            PairingCode,
            or_(PairingCode.expires_at < cutoff, PairingCode.used_at < cutoff),
        ),
    ):
        # A DELETE runs on a cursor; Session.execute is only typed as returning rows.
        deleted = cast("CursorResult[Any]", dbsession.execute(delete(model).where(ended)))
        counts[name] = deleted.rowcount
    return counts
