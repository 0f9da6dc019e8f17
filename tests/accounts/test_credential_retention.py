"""Dead credentials are purged after a grace period; live ones stay."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from thebot.accounts.models import AuthToken, PairingCode, PasswordResetToken
from thebot.accounts.retention import GRACE, purge_expired_credentials
from thebot.db import utcnow


def test_purge_keeps_live_and_recent_credentials(dbsession, make_user):
    user = make_user("student")
    now = utcnow()
    old = now - GRACE - dt.timedelta(hours=1)
    recent = now - dt.timedelta(days=1)
    dbsession.add_all(
        [
            AuthToken(user_id=user.id, key_hash="a" * 64, expires_at=now + dt.timedelta(days=1)),
            AuthToken(user_id=user.id, key_hash="b" * 64, expires_at=old),
            AuthToken(user_id=user.id, key_hash="c" * 64, expires_at=now, revoked_at=recent),
            AuthToken(user_id=user.id, key_hash="d" * 64, expires_at=now, revoked_at=old),
            PasswordResetToken(user_id=user.id, token_hash="e" * 64, expires_at=old),
            PairingCode(student_id=user.id, code_hash="f" * 64, expires_at=now, used_at=old),
        ]
    )
    dbsession.flush()
    counts = purge_expired_credentials(dbsession, now)
    assert counts == {"tokens": 2, "sessions": 0, "password_reset_tokens": 1, "pairing_codes": 1}
    left = set(dbsession.scalars(select(AuthToken.key_hash).where(AuthToken.user_id == user.id)))
    assert left == {"a" * 64, "c" * 64}


def test_purge_is_scheduled(app):
    names = [p.task_name for p in app.registry["periodic_tasks"]]
    assert "accounts.purge_expired_credentials" in names
