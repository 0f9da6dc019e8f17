"""Token authentication at the security-policy level (the auth endpoints build on it)."""

from __future__ import annotations

import datetime as dt

from thebot.accounts.credentials.tokens import hash_key, issue_token, revoke_tokens
from thebot.db import utcnow


def test_token_is_stored_only_as_sha256(dbsession, make_user):
    user = make_user("admin")
    key, token = issue_token(dbsession, user, dt.timedelta(hours=1))
    assert token.key_hash == hash_key(key) and key not in token.key_hash
    assert len(key) >= 43  # 32 random bytes, url-safe base64


def test_admin_token_opens_admin_endpoints(testapp, make_user, auth_headers):
    admin = make_user("admin")
    testapp.get("/api/system/health/", headers=auth_headers(admin), status=200)
    bearer = {"Authorization": auth_headers(admin)["Authorization"].replace("Token", "Bearer")}
    testapp.get("/api/system/health/", headers=bearer, status=200)


def test_non_admin_token_is_forbidden(testapp, make_user, auth_headers):
    for role in ("student", "teacher", "tutor", "parent"):
        response = testapp.get(
            "/api/system/health/", headers=auth_headers(make_user(role)), status=403
        )
        assert response.json["type"].endswith("permission-denied")


def test_expired_revoked_or_inactive_token_is_401(testapp, dbsession, make_user, auth_headers):
    admin = make_user("admin")
    headers = auth_headers(admin)
    revoke_tokens(dbsession, admin.id)
    dbsession.flush()
    assert (
        testapp.get("/api/system/health/", headers=headers, status=401).headers["WWW-Authenticate"]
        == "Token"
    )
    key, token = issue_token(dbsession, admin, dt.timedelta(hours=1))
    token.expires_at = utcnow() - dt.timedelta(seconds=1)
    dbsession.flush()
    testapp.get("/api/system/health/", headers={"Authorization": f"Token {key}"}, status=401)
    other = make_user("admin", is_active=False)
    testapp.get("/api/system/health/", headers=auth_headers(other), status=401)


def test_unknown_token_is_401(testapp):
    testapp.get("/api/system/health/", headers={"Authorization": "Token nope"}, status=401)
