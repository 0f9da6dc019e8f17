"""Dead credentials are purged after a grace period; live ones stay."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from factories import AuthTokenFactory, PairingCodeFactory, PasswordResetTokenFactory
from thebot.accounts.models import AuthToken
from thebot.accounts.retention import GRACE, purge_expired_credentials
from thebot.db import utcnow


def test_purge_keeps_live_and_recent_credentials(dbsession, make_user):
    user = make_user("student")
    now = utcnow()
    old = now - GRACE - dt.timedelta(hours=1)
    recent = now - dt.timedelta(days=1)
    AuthTokenFactory(user_id=user.id, key_hash="a" * 64, expires_at=now + dt.timedelta(days=1))
    AuthTokenFactory(user_id=user.id, key_hash="b" * 64, expires_at=old)
    AuthTokenFactory(user_id=user.id, key_hash="c" * 64, expires_at=now, revoked_at=recent)
    AuthTokenFactory(user_id=user.id, key_hash="d" * 64, expires_at=now, revoked_at=old)
    PasswordResetTokenFactory(user_id=user.id, expires_at=old)
    PairingCodeFactory(student_id=user.id, expires_at=now, used_at=old)
    counts = purge_expired_credentials(dbsession, now)
    assert counts == {"tokens": 2, "sessions": 0, "password_reset_tokens": 1, "pairing_codes": 1}
    left = set(dbsession.scalars(select(AuthToken.key_hash).where(AuthToken.user_id == user.id)))
    assert left == {"a" * 64, "c" * 64}


def test_purge_is_scheduled(app):
    names = [p.task_name for p in app.registry["periodic_tasks"]]
    assert "accounts.purge_expired_credentials" in names
