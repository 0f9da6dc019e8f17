"""POST /api/auth/login/, logout/ and refresh/ with API tokens."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.credentials import passwords
from thebot.accounts.credentials.passwords import hash_password
from thebot.accounts.credentials.tokens import hash_key
from thebot.accounts.models import AuthToken
from thebot.audit import AuditEvent

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)
    yield
    reset_limits(app.registry)


@pytest.fixture
def user(make_user):
    return make_user(
        "tutor", username="olga", email="olga@example.com", password_hash=hash_password(PASSWORD)
    )


def login(testapp, login_name, password, status=200, environ=None, **extra):
    body = {"login": login_name, "password": password, **extra}
    return testapp.post_json("/api/auth/login/", body, status=status, extra_environ=environ)


def events(dbsession, action):
    dbsession.expire_all()
    return dbsession.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_login_with_username_or_email_returns_a_token(testapp, dbsession, user):
    for name in ("olga", "OLGA@example.com "):
        body = login(testapp, name, PASSWORD).json
        assert set(body) == {"token", "expires_at", "user"}
        assert body["user"]["id"] == user.id and body["user"]["role"] == "tutor"
        assert body["user"]["profile"]["specialization"] == "Exam preparation"
        me = testapp.get("/api/auth/me/", headers={"Authorization": f"Token {body['token']}"})
        assert me.json["username"] == "olga"
    dbsession.refresh(user)
    assert user.last_login is not None


def test_token_is_random_hashed_and_expires_after_the_setting(testapp, dbsession, user):
    body = login(testapp, "olga", PASSWORD).json
    key = body["token"]
    assert len(key) >= 43
    stored = dbsession.execute(select(AuthToken).where(AuthToken.user_id == user.id)).scalar_one()
    assert stored.key_hash == hash_key(key) and key not in stored.key_hash
    lifetime = stored.expires_at - stored.created_at
    assert dt.timedelta(days=29, hours=23) < lifetime <= dt.timedelta(days=30)
    assert dt.datetime.fromisoformat(body["expires_at"]) == stored.expires_at
    assert login(testapp, "olga", PASSWORD).json["token"] != key


def test_token_lifetime_setting_is_honoured(make_app, client, dbsession, user):
    app = client(make_app(token_lifetime_days="2"))
    body = login(app, "olga", PASSWORD).json
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert (
        dt.timedelta(days=1, hours=23)
        < expires - dt.datetime.now(dt.timezone.utc)
        <= dt.timedelta(days=2)
    )


def test_bearer_scheme_is_accepted(testapp, user):
    key = login(testapp, "olga", PASSWORD).json["token"]
    testapp.get("/api/auth/me/", headers={"Authorization": f"Bearer {key}"}, status=200)


def test_unknown_user_and_wrong_password_get_the_same_401(testapp, user):
    unknown = login(testapp, "nobody", PASSWORD, status=401)
    wrong = login(testapp, "olga", "not the password", status=401)
    for response in (unknown, wrong):
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Token"
    assert unknown.json["detail"] == wrong.json["detail"]
    assert unknown.json["type"] == wrong.json["type"]


def test_unknown_user_still_spends_a_password_verification(testapp, user, monkeypatch):
    checked = []

    class SpyHasher(PasswordHasher):
        def verify(self, hash_, password):
            checked.append(hash_)
            return super().verify(hash_, password)

    monkeypatch.setattr(passwords, "HASHER", SpyHasher())
    login(testapp, "nobody", PASSWORD, status=401)
    assert checked == [passwords.DUMMY_HASH]


def test_account_without_password_cannot_log_in(testapp, make_user):
    make_user("student", username="nopass")
    login(testapp, "nopass", "", status=400)
    login(testapp, "nopass", "anything at all", status=401)


def test_inactive_account_gets_403_only_with_the_right_password(testapp, make_user):
    make_user("parent", username="gone", is_active=False, password_hash=hash_password(PASSWORD))
    response = login(testapp, "gone", PASSWORD, status=403)
    assert response.json["type"].endswith("permission-denied")
    login(testapp, "gone", "wrong password", status=401)


def test_failed_logins_are_audited_and_committed(testapp, dbsession, user):
    login(testapp, "olga", "wrong password", status=401)
    login(testapp, "ghost", "wrong password", status=401)
    failures = events(dbsession, "auth.login_failed")
    assert {(e.target_id, e.details["reason"]) for e in failures} == {
        (str(user.id), "bad_password"),
        (None, "unknown_user"),
    }
    assert all(e.ip == "192.0.2.10" for e in failures)


def test_successful_login_is_audited(testapp, dbsession, user):
    login(testapp, "olga", PASSWORD)
    (event,) = events(dbsession, "auth.login")
    assert event.actor_id == user.id and event.details == {"method": "token"}


@pytest.mark.parametrize(
    "body",
    [
        {"login": "olga"},
        {"login": "olga", "password": PASSWORD, "admin": True},
        {"login": "olga", "password": PASSWORD, "session": "maybe"},
        {"login": "", "password": PASSWORD},
        {"login": ["olga"], "password": PASSWORD},
    ],
)
def test_bad_login_bodies_are_400_problems(testapp, user, body):
    response = testapp.post_json("/api/auth/login/", body, status=400)
    assert response.content_type == "application/problem+json" and response.json["errors"]


def test_non_json_login_is_400(testapp, user):
    response = testapp.post(
        "/api/auth/login/", params={"login": "olga", "password": PASSWORD}, status=400
    )
    assert response.json["errors"][0]["name"] == "Content-Type"


def test_sixth_login_within_a_minute_gets_429_with_retry_after(testapp, user):
    for _ in range(5):
        login(testapp, "olga", "wrong password", status=401)
    response = login(testapp, "olga", PASSWORD, status=429)
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json["type"].endswith("rate-limited")
    # Another client address is counted on its own.
    login(testapp, "olga", PASSWORD, environ={"REMOTE_ADDR": "192.0.2.99"})


def test_username_and_email_of_one_account_share_one_login_limit(testapp, user):
    """Before, each spelling had its own counter: 5 guesses by username, 5 more by email."""
    for _ in range(5):
        login(testapp, "olga", "wrong password", status=401)
    login(testapp, "olga@example.com", "wrong password", status=429)
    login(testapp, " OLGA@Example.com ", PASSWORD, status=429)


def test_the_email_spends_the_usernames_counter_too(testapp, user):
    for _ in range(3):
        login(testapp, "olga@example.com", "wrong password", status=401)
    for _ in range(2):
        login(testapp, "Olga", "wrong password", status=401)
    login(testapp, "olga", PASSWORD, status=429)


def test_unknown_logins_are_counted_by_their_normalised_spelling(testapp, user):
    for _ in range(5):
        login(testapp, "Nobody@Example.com", "wrong password", status=401)
    login(testapp, "nobody@example.com", "wrong password", status=429)
    # Another unknown login, and the real account, are counted on their own.
    login(testapp, "someone-else", "wrong password", status=401)
    login(testapp, "olga", PASSWORD)


def test_rehash_on_login_when_argon2_parameters_change(testapp, dbsession, make_user):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user = make_user("student", username="oldhash", password_hash=weak.hash(PASSWORD))
    old_hash = user.password_hash
    assert passwords.needs_rehash(old_hash)
    login(testapp, "oldhash", PASSWORD)
    dbsession.refresh(user)
    assert user.password_hash != old_hash
    assert not passwords.needs_rehash(user.password_hash)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_logout_revokes_the_token(testapp, user):
    key = login(testapp, "olga", PASSWORD).json["token"]
    headers = {"Authorization": f"Token {key}"}
    other = {"Authorization": "Token " + login(testapp, "olga", PASSWORD).json["token"]}
    assert testapp.post("/api/auth/logout/", headers=headers, status=204).body == b""
    testapp.get("/api/auth/me/", headers=headers, status=401)
    testapp.get("/api/auth/me/", headers=other, status=200)


def test_logout_needs_authentication(testapp):
    response = testapp.post("/api/auth/logout/", status=401)
    assert response.headers["WWW-Authenticate"] == "Token"


def test_refresh_rotates_the_token(testapp, dbsession, user):
    key = login(testapp, "olga", PASSWORD).json["token"]
    body = testapp.post("/api/auth/refresh/", headers={"Authorization": f"Token {key}"}).json
    assert body["token"] != key and body["user"]["id"] == user.id
    testapp.get("/api/auth/me/", headers={"Authorization": f"Token {key}"}, status=401)
    testapp.get("/api/auth/me/", headers={"Authorization": f"Token {body['token']}"}, status=200)
    assert [e.action for e in events(dbsession, "auth.refresh")] == ["auth.refresh"]


def test_metrics_token_is_not_a_user(testapp, monitor_headers):
    testapp.get("/api/auth/me/", headers=monitor_headers, status=403)
    testapp.get("/api/system/health/", headers=monitor_headers, status=200)


def test_no_secret_in_logs_or_audit(testapp, dbsession, user, caplog):
    caplog.set_level(logging.DEBUG)
    login(testapp, "olga", "wrong password", status=401)
    key = login(testapp, "olga", PASSWORD).json["token"]
    new_key = testapp.post("/api/auth/refresh/", headers={"Authorization": f"Token {key}"}).json[
        "token"
    ]
    testapp.post("/api/auth/logout/", headers={"Authorization": f"Token {new_key}"}, status=204)
    secrets = (PASSWORD, "wrong password", key, new_key)
    for record in caplog.records:
        text = record.getMessage()
        assert not any(s in text for s in secrets), text
    dbsession.expire_all()
    for event in dbsession.execute(select(AuditEvent)).scalars():
        assert not any(s in repr(event.details) for s in secrets)
