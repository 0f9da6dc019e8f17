"""Password reset: request (202 always), the email, confirm, single use, expiry."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import glob
import logging
import os
import re

import dramatiq
import pytest
import time_machine
from sqlalchemy import select

from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.credentials.passwords import hash_password, verify_password
from thebot.accounts.credentials.tokens import hash_key
from thebot.accounts.models import PasswordResetToken
from thebot.audit import AuditEvent

OLD = "old but gold password"
NEW = "a brand new sentence 42"
RESET_URL = "/api/auth/password-reset/"
CONFIRM_URL = "/api/auth/password-reset/confirm/"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def user(make_user):
    return make_user(
        "parent", username="irina", email="irina@example.com", password_hash=hash_password(OLD)
    )


def queued_emails(broker):
    queue = broker.queues.get("email")
    return [] if queue is None else [dramatiq.Message.decode(data) for data in list(queue.queue)]


def token_from(text):
    return re.search(r"^([A-Za-z0-9_-]{43})$", text, re.MULTILINE).group(1)


def request_token(testapp, broker, address="irina@example.com"):
    testapp.post_json(RESET_URL, {"email": address}, status=202)
    (message,) = queued_emails(broker)
    broker.flush_all()
    return token_from(message.args[2])


def test_reset_flow_end_to_end_through_the_email_actor(
    app, testapp, dbsession, user, broker, worker, auth_headers
):
    headers = auth_headers(user)
    mail_dir = app.registry.settings["mail_dir"]
    before = set(glob.glob(os.path.join(mail_dir, "*.eml")))
    response = testapp.post_json(RESET_URL, {"email": "IRINA@example.com"}, status=202)
    assert response.json["detail"]
    # (the running worker may already have taken the message: no look at the queue here)
    broker.join("email")
    worker.join()
    (path,) = set(glob.glob(os.path.join(mail_dir, "*.eml"))) - before
    with open(path, "rb") as fh:
        message = email.message_from_binary_file(fh, policy=email.policy.default)
    assert message["To"] == "irina@example.com"
    token = token_from(message.get_content())
    row = dbsession.execute(
        select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)
    ).scalar_one()
    assert row.token_hash == hash_key(token)
    assert dt.timedelta(minutes=59) < row.expires_at - row.created_at <= dt.timedelta(hours=1)

    testapp.post_json(CONFIRM_URL, {"token": token, "new_password": NEW}, status=204)
    dbsession.refresh(user)
    assert verify_password(user.password_hash, NEW)
    testapp.get("/api/auth/me/", headers=headers, status=401)  # every token revoked
    testapp.post_json("/api/auth/login/", {"login": "irina", "password": NEW}, status=200)
    testapp.post_json("/api/auth/login/", {"login": "irina", "password": OLD}, status=401)


def test_unknown_or_inactive_email_gets_the_same_202_and_no_mail(testapp, make_user, broker):
    make_user(
        "student", email="sleeping@example.com", is_active=False, password_hash=hash_password(OLD)
    )
    known = testapp.post_json(RESET_URL, {"email": "nobody@example.com"}, status=202)
    inactive = testapp.post_json(RESET_URL, {"email": "sleeping@example.com"}, status=202)
    assert known.json == inactive.json
    assert queued_emails(broker) == []


def test_aborted_request_sends_no_mail(testapp, user, broker, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("thebot.accounts.auth.views.audit", fail)
    testapp.post_json(RESET_URL, {"email": "irina@example.com"}, status=500)
    assert queued_emails(broker) == []


def test_reset_token_is_single_use(testapp, user, broker):
    token = request_token(testapp, broker)
    testapp.post_json(CONFIRM_URL, {"token": token, "new_password": NEW}, status=204)
    response = testapp.post_json(
        CONFIRM_URL, {"token": token, "new_password": "yet another phrase 7"}, status=400
    )
    assert response.json["errors"][0]["name"] == "token"


def test_confirming_one_token_voids_the_others(testapp, user, broker):
    first = request_token(testapp, broker)
    second = request_token(testapp, broker)
    testapp.post_json(CONFIRM_URL, {"token": second, "new_password": NEW}, status=204)
    testapp.post_json(
        CONFIRM_URL, {"token": first, "new_password": "yet another phrase 7"}, status=400
    )


def test_reset_token_expires_after_one_hour(testapp, user, broker):
    token = request_token(testapp, broker)
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=61)):
        response = testapp.post_json(
            CONFIRM_URL, {"token": token, "new_password": NEW}, status=400
        )
    assert response.json["detail"] == "The password reset token is invalid or has expired."


def test_unknown_token_is_400(testapp, user):
    testapp.post_json(CONFIRM_URL, {"token": "x" * 43, "new_password": NEW}, status=400)


def test_weak_new_password_is_refused_and_the_token_survives(testapp, user, broker):
    token = request_token(testapp, broker)
    response = testapp.post_json(
        CONFIRM_URL, {"token": token, "new_password": "irina123"}, status=400
    )
    descriptions = [e["description"] for e in response.json["errors"]]
    assert all(e["name"] == "new_password" for e in response.json["errors"])
    assert "This password is too similar to the username." in descriptions
    testapp.post_json(CONFIRM_URL, {"token": token, "new_password": NEW}, status=204)


def test_reset_ends_browser_sessions(app, client, testapp, user, broker):
    browser = client(app)
    browser.post_json("/api/auth/login/", {"login": "irina", "password": OLD, "session": True})
    browser.get("/api/auth/me/", status=200)
    token = request_token(testapp, broker)
    testapp.post_json(CONFIRM_URL, {"token": token, "new_password": NEW}, status=204)
    browser.get("/api/auth/me/", status=401)


def test_reset_link_uses_the_configured_front_end_url(make_app, client, dbsession, user):
    app = make_app(password_reset_url="https://app.example.com/reset?token={token}")
    client(app).post_json(RESET_URL, {"email": "irina@example.com"}, status=202)
    (message,) = queued_emails(app.registry["task_broker"])
    assert re.search(
        r"https://app\.example\.com/reset\?token=[A-Za-z0-9_-]{43}\n", message.args[2]
    )


def test_invalid_bodies_are_400(testapp):
    testapp.post_json(RESET_URL, {"email": "not an email"}, status=400)
    testapp.post_json(RESET_URL, {"email": "a@example.com", "extra": 1}, status=400)
    testapp.post_json(CONFIRM_URL, {"token": "abc"}, status=400)


def test_sixth_reset_request_within_a_minute_is_429(testapp, user, broker):
    for _ in range(5):
        testapp.post_json(RESET_URL, {"email": "irina@example.com"}, status=202)
    response = testapp.post_json(RESET_URL, {"email": "irina@example.com"}, status=429)
    assert int(response.headers["Retry-After"]) >= 1
    assert len(queued_emails(broker)) == 5


def test_reset_is_audited_without_secrets(testapp, dbsession, user, broker, caplog):
    caplog.set_level(logging.DEBUG)
    token = request_token(testapp, broker)
    testapp.post_json(CONFIRM_URL, {"token": token, "new_password": NEW}, status=204)
    dbsession.expire_all()
    rows = (
        dbsession.execute(select(AuditEvent).where(AuditEvent.action.like("auth.password_reset%")))
        .scalars()
        .all()
    )
    assert [r.action for r in rows] == [
        "auth.password_reset_requested",
        "auth.password_reset_completed",
    ]
    assert rows[0].details == {"email": "irina@example.com"}
    for row in rows:
        assert token not in repr(row.details) and NEW not in repr(row.details)
    for record in caplog.records:
        assert token not in record.getMessage() and NEW not in record.getMessage()


def audited_request(dbsession, address):
    event = dbsession.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "auth.password_reset_requested")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.details["email"] == address
    return {
        "actor_id": event.actor_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": {k: v for k, v in event.details.items() if k != "email"},
    }


def test_reset_audit_is_the_same_for_existing_unknown_and_inactive_accounts(
    testapp, dbsession, user, make_user, broker, caplog
):
    """Before, the event named the user and said ``"sent": true`` or ``false``: whoever read
    the audit log (the metrics token could) learnt which addresses have accounts."""
    make_user("student", email="gone@example.com", is_active=False)
    caplog.set_level(logging.INFO, logger="audit")
    events = []
    for address in ("irina@example.com", "nobody@example.com", "gone@example.com"):
        testapp.post_json(RESET_URL, {"email": address}, status=202)
        dbsession.expire_all()
        events.append(audited_request(dbsession, address))
    assert events[0] == events[1] == events[2]
    lines = [
        r.getMessage().replace(a, "<email>")
        for r, a in zip(
            [r for r in caplog.records if "password_reset_requested" in r.getMessage()],
            ("irina@example.com", "nobody@example.com", "gone@example.com"),
            strict=True,
        )
    ]
    assert len(lines) == 3 and lines[0] == lines[1] == lines[2]
