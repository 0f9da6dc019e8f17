"""Browser sessions: the cookie, where sessions live, expiry, revocation and CSRF."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from sqlalchemy import select

from testenv import TEST_REDIS_PREFIX
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.credentials import sessions
from thebot.accounts.credentials.passwords import hash_password
from thebot.accounts.credentials.tokens import hash_key
from thebot.accounts.models import ServerSession

PASSWORD = "violet lanterns at dusk"
HTTPS = {"wsgi.url_scheme": "https"}


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def user(make_user):
    return make_user("student", username="sasha", password_hash=hash_password(PASSWORD))


def session_login(testapp, status=200, **environ):
    body = {"login": "sasha", "password": PASSWORD, "session": True}
    return testapp.post_json(
        "/api/auth/login/", body, status=status, extra_environ=environ or None
    )


def set_cookie_header(response):
    (header,) = [
        v
        for k, v in response.headerlist
        if k == "Set-Cookie" and v.startswith(sessions.COOKIE_NAME)
    ]
    return header


def test_session_login_sets_a_httponly_lax_cookie_and_returns_csrf(testapp, user):
    response = session_login(testapp)
    body = response.json
    assert body["token"] is None and body["user"]["id"] == user.id and body["csrf_token"]
    header = set_cookie_header(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Max-Age=86400" in header
    assert "secure" not in header.lower()  # debug: plain-HTTP development servers
    assert response.headers["Cache-Control"] == "no-store"
    assert testapp.get("/api/auth/me/").json["id"] == user.id


def test_cookie_is_secure_outside_debug(make_app, client, monkeypatch, dbsession, user):
    monkeypatch.setattr("thebot.settings.validate_settings", lambda settings: [])
    app = client(make_app(debug="false"))
    header = set_cookie_header(session_login(app, **HTTPS))
    assert "; secure" in header.lower() and "HttpOnly" in header and "SameSite=Lax" in header


def test_origin_is_checked_over_https(make_app, client, monkeypatch, dbsession, user):
    monkeypatch.setattr("thebot.settings.validate_settings", lambda settings: [])
    app = client(make_app(debug="false"))
    csrf = session_login(app, **HTTPS).json["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    evil = {**headers, "Origin": "https://evil.example.com"}
    app.get("/api/auth/me/", extra_environ=HTTPS, status=200)
    app.post("/api/auth/refresh/", headers=evil, extra_environ=HTTPS, status=403)
    trusted = {**headers, "Origin": "https://app.example.com"}  # a CORS-allowed front end
    csrf = app.post("/api/auth/refresh/", headers=trusted, extra_environ=HTTPS).json["csrf_token"]
    same_site = {"X-CSRF-Token": csrf, "Origin": "https://testserver"}
    app.post("/api/auth/logout/", headers=same_site, extra_environ=HTTPS, status=204)


def test_session_lifetime_setting(make_app, client, dbsession, user):
    app = client(make_app(session_lifetime_hours="2"))
    assert "Max-Age=7200" in set_cookie_header(session_login(app))


def test_session_is_stored_by_hash_in_the_configured_store(testapp, app, dbsession, user):
    session_login(testapp)
    key = testapp.cookies[sessions.COOKIE_NAME]
    store = app.registry["session_store"]
    if os.environ.get("THEBOT_TEST_REDIS_URL"):
        assert isinstance(store, sessions.RedisSessionStore)
        assert store.prefix == TEST_REDIS_PREFIX + "session:"
        assert store.client.exists(store.prefix + hash_key(key))
        assert not store.client.exists(store.prefix + key)
    else:
        assert isinstance(store, sessions.DatabaseSessionStore)
        row = dbsession.execute(
            select(ServerSession).where(ServerSession.user_id == user.id)
        ).scalar_one()
        assert row.key_hash == hash_key(key) and row.ip == "192.0.2.10"


def test_session_expires_after_its_lifetime(testapp, user):
    session_login(testapp)
    testapp.get("/api/auth/me/", status=200)
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=24, minutes=1)):
        testapp.get("/api/auth/me/", status=401)


def test_garbage_cookie_is_anonymous(testapp, user):
    testapp.set_cookie(sessions.COOKIE_NAME, "not-a-session")
    testapp.get("/api/auth/me/", status=401)
    testapp.set_cookie(sessions.COOKIE_NAME, "A" * 43)
    testapp.get("/api/auth/me/", status=401)


def test_deactivated_user_loses_the_session(testapp, dbsession, user):
    session_login(testapp)
    user.is_active = False
    dbsession.flush()
    testapp.get("/api/auth/me/", status=401)


def test_csrf_required_for_cookie_authenticated_unsafe_methods(testapp, user):
    csrf = session_login(testapp).json["csrf_token"]
    missing = testapp.post("/api/auth/logout/", status=403)
    assert missing.content_type == "application/problem+json"
    assert "CSRF" in missing.json["detail"]
    testapp.post("/api/auth/logout/", headers={"X-CSRF-Token": csrf[:-2] + "xx"}, status=403)
    testapp.get("/api/auth/me/", status=200)  # safe methods need no token
    testapp.post("/api/auth/logout/", headers={"X-CSRF-Token": csrf}, status=204)
    testapp.get("/api/auth/me/", status=401)


def test_csrf_endpoint_returns_the_session_token(testapp, user):
    assert testapp.get("/api/auth/csrf/").json == {"csrf_token": None}
    csrf = session_login(testapp).json["csrf_token"]
    assert testapp.get("/api/auth/csrf/").json == {"csrf_token": csrf}


def test_token_requests_need_no_csrf_even_with_a_cookie(testapp, user, auth_headers):
    session_login(testapp)
    headers = auth_headers(user)
    assert testapp.post("/api/auth/refresh/", headers=headers).json["token"]
    # The header wins: a bad token with a good cookie is not silently the cookie's user.
    testapp.get("/api/auth/me/", headers={"Authorization": "Token wrong"}, status=401)
    # Another scheme (a staging proxy's Basic auth) is not ours: the cookie still counts.
    testapp.get("/api/auth/me/", headers={"Authorization": "Basic c3RhZ2U6cw=="}, status=200)


def test_logout_ends_the_session_and_clears_the_cookie(testapp, user):
    csrf = session_login(testapp).json["csrf_token"]
    key = testapp.cookies[sessions.COOKIE_NAME]
    response = testapp.post("/api/auth/logout/", headers={"X-CSRF-Token": csrf}, status=204)
    assert "Max-Age=0" in set_cookie_header(response)
    testapp.set_cookie(sessions.COOKIE_NAME, key)  # a copied cookie is dead too
    testapp.get("/api/auth/me/", status=401)


def test_refresh_rotates_the_session(testapp, user):
    csrf = session_login(testapp).json["csrf_token"]
    old_key = testapp.cookies[sessions.COOKIE_NAME]
    body = testapp.post("/api/auth/refresh/", headers={"X-CSRF-Token": csrf}).json
    assert body["token"] is None and body["csrf_token"] != csrf
    assert testapp.cookies[sessions.COOKIE_NAME] != old_key
    testapp.get("/api/auth/me/", status=200)
    testapp.set_cookie(sessions.COOKIE_NAME, old_key)
    testapp.get("/api/auth/me/", status=401)


def test_logging_in_again_replaces_the_browser_session(testapp, user):
    session_login(testapp)
    first = testapp.cookies[sessions.COOKIE_NAME]
    csrf = testapp.get("/api/auth/csrf/").json["csrf_token"]
    testapp.post_json(
        "/api/auth/login/",
        {"login": "sasha", "password": PASSWORD, "session": True},
        headers={"X-CSRF-Token": csrf},
    )
    assert testapp.cookies[sessions.COOKIE_NAME] != first
    testapp.set_cookie(sessions.COOKIE_NAME, first)
    testapp.get("/api/auth/me/", status=401)


def test_revoke_all_sessions_of_a_user(app, testapp, dbsession, user, make_user):
    other = make_user("student")
    keep = sessions.create_session(app.registry, dbsession, user.id)
    doomed = sessions.create_session(app.registry, dbsession, user.id)
    theirs = sessions.create_session(app.registry, dbsession, other.id)
    assert sessions.revoke_user_sessions(app.registry, dbsession, user.id, keep=keep) == 1
    assert sessions.load_session(app.registry, dbsession, keep.key) is not None
    assert sessions.load_session(app.registry, dbsession, doomed.key) is None
    assert sessions.load_session(app.registry, dbsession, theirs.key) is not None
    sessions.revoke_user_sessions(app.registry, dbsession, user.id)
    assert sessions.load_session(app.registry, dbsession, keep.key) is None


def test_database_store_directly(dbsession, user):
    store = sessions.DatabaseSessionStore()
    data = store.create(dbsession, "h" * 64, user.id, dt.timedelta(hours=1), "192.0.2.1", "pytest")
    assert store.load(dbsession, "h" * 64).user_id == user.id
    store.revoke(dbsession, "h" * 64)
    assert store.load(dbsession, "h" * 64) is None
    assert data.expires_at - data.created_at == dt.timedelta(hours=1)


@pytest.mark.skipif(
    not os.environ.get("THEBOT_TEST_REDIS_URL"), reason="needs THEBOT_TEST_REDIS_URL"
)
def test_redis_store_directly(redis_client, dbsession, user):
    store = sessions.RedisSessionStore(redis_client, TEST_REDIS_PREFIX)
    store.create(dbsession, "r1" * 32, user.id, dt.timedelta(hours=1), None, None)
    store.create(dbsession, "r2" * 32, user.id, dt.timedelta(hours=1), None, None)
    assert 3500 < redis_client.ttl(f"{TEST_REDIS_PREFIX}session:{'r1' * 32}") <= 3600
    assert 3500 < redis_client.ttl(f"{TEST_REDIS_PREFIX}user-sessions:{user.id}") <= 3600
    assert store.load(dbsession, "r1" * 32).user_id == user.id
    assert store.revoke_all(dbsession, user.id, keep="r1" * 32) == 1
    assert store.load(dbsession, "r2" * 32) is None
    store.revoke(dbsession, "r1" * 32)
    assert store.load(dbsession, "r1" * 32) is None
