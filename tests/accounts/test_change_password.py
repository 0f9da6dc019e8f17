"""POST /api/auth/change-password/."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.credentials.passwords import hash_password, verify_password
from thebot.audit import AuditEvent

OLD = "first light over the harbour"
NEW = "second wind in the rigging 9"
URL = "/api/auth/change-password/"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def user(make_user):
    return make_user("teacher", username="pavel", password_hash=hash_password(OLD))


def token_login(testapp):
    key = testapp.post_json("/api/auth/login/", {"login": "pavel", "password": OLD}).json["token"]
    return {"Authorization": f"Token {key}"}


def test_change_password_keeps_the_caller_and_revokes_other_logins(
    app, client, testapp, dbsession, user
):
    mine, other = token_login(testapp), token_login(testapp)
    browser = client(app)
    browser.post_json("/api/auth/login/", {"login": "pavel", "password": OLD, "session": True})
    testapp.post_json(URL, {"old_password": OLD, "new_password": NEW}, headers=mine, status=204)
    dbsession.refresh(user)
    assert verify_password(user.password_hash, NEW)
    testapp.get("/api/auth/me/", headers=mine, status=200)
    testapp.get("/api/auth/me/", headers=other, status=401)
    browser.get("/api/auth/me/", status=401)


def test_change_password_from_a_session_keeps_that_session(app, client, testapp, user):
    other = token_login(testapp)
    browser = client(app)
    csrf = browser.post_json(
        "/api/auth/login/", {"login": "pavel", "password": OLD, "session": True}
    ).json["csrf_token"]
    second_browser = client(app)
    second_browser.post_json(
        "/api/auth/login/", {"login": "pavel", "password": OLD, "session": True}
    )
    body = {"old_password": OLD, "new_password": NEW}
    browser.post_json(URL, body, status=403)  # cookie-authenticated: CSRF required
    browser.post_json(URL, body, headers={"X-CSRF-Token": csrf}, status=204)
    browser.get("/api/auth/me/", status=200)
    second_browser.get("/api/auth/me/", status=401)
    testapp.get("/api/auth/me/", headers=other, status=401)


def test_wrong_old_password_is_400_and_audited(testapp, dbsession, user, auth_headers):
    response = testapp.post_json(
        URL, {"old_password": "nope", "new_password": NEW}, headers=auth_headers(user), status=400
    )
    assert response.json["errors"] == [
        {
            "location": "body",
            "name": "old_password",
            "description": "The current password is incorrect.",
        }
    ]
    dbsession.expire_all()
    actions = dbsession.execute(select(AuditEvent.action)).scalars().all()
    assert "auth.password_change_failed" in actions
    dbsession.refresh(user)
    assert verify_password(user.password_hash, OLD)


def test_new_password_must_follow_the_rules(testapp, user, auth_headers):
    response = testapp.post_json(
        URL, {"old_password": OLD, "new_password": "pavel"}, headers=auth_headers(user), status=400
    )
    descriptions = {e["description"] for e in response.json["errors"]}
    assert "This password is too short. It must contain at least 8 characters." in descriptions
    assert "This password is too similar to the username." in descriptions


def test_minimum_length_setting(make_app, client, dbsession, user, auth_headers):
    app = client(make_app(password_min_length="30"))
    response = app.post_json(
        URL, {"old_password": OLD, "new_password": NEW}, headers=auth_headers(user), status=400
    )
    assert "at least 30 characters" in response.json["errors"][0]["description"]


def test_change_password_needs_authentication_and_a_proper_body(testapp, user, auth_headers):
    testapp.post_json(URL, {"old_password": OLD, "new_password": NEW}, status=401)
    testapp.post_json(URL, {"new_password": NEW}, headers=auth_headers(user), status=400)


def test_guessing_the_old_password_is_rate_limited(testapp, user, auth_headers):
    headers = auth_headers(user)
    for _ in range(5):
        testapp.post_json(
            URL, {"old_password": "guess", "new_password": NEW}, headers=headers, status=400
        )
    testapp.post_json(URL, {"old_password": OLD, "new_password": NEW}, headers=headers, status=429)


def test_no_password_in_logs_or_audit(testapp, dbsession, user, auth_headers, caplog):
    caplog.set_level(logging.DEBUG)
    headers = auth_headers(user)
    testapp.post_json(
        URL, {"old_password": "wrong guess", "new_password": NEW}, headers=headers, status=400
    )
    testapp.post_json(URL, {"old_password": OLD, "new_password": NEW}, headers=headers, status=204)
    for record in caplog.records:
        assert not any(s in record.getMessage() for s in (OLD, NEW, "wrong guess"))
    dbsession.expire_all()
    for details in dbsession.execute(select(AuditEvent.details)).scalars():
        assert not any(s in repr(details) for s in (OLD, NEW, "wrong guess"))
