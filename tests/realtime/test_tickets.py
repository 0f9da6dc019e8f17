"""``POST /api/realtime/ticket/``: single use, 60 seconds, stored hashed."""

from __future__ import annotations

import datetime as dt

from thebot.realtime import tickets
from thebot.realtime.tickets import Credential, MemoryTickets


def test_a_signed_in_user_gets_a_ticket_with_the_url_that_carries_it(api, new_user, rt_app):
    user, headers = new_user()
    response = api.post("/api/realtime/ticket/", headers=headers, status=201)
    body = response.json
    assert set(body) == {"ticket", "url", "expires_at"}
    assert body["url"] == f"ws://localhost:6544/ws/?ticket={body['ticket']}"
    assert response.headers["Cache-Control"] == "no-store"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    left = (expires - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 55 < left <= 60
    credential = tickets.redeem(rt_app.registry["realtime_tickets"], body["ticket"])
    assert credential.user_id == user.id and credential.token_id is not None
    assert tickets.redeem(rt_app.registry["realtime_tickets"], body["ticket"]) is None


def test_anonymous_callers_get_no_ticket(api):
    response = api.post("/api/realtime/ticket/", status=401)
    assert response.headers["WWW-Authenticate"] == "Token"


def test_a_browser_session_gets_a_ticket_tied_to_its_session(api, new_user, rt_app):
    from thebot.accounts.credentials.passwords import hash_password
    from thebot.accounts.models import User

    user, headers = new_user()
    session = rt_app.registry["dbsession_factory"]()
    session.get(User, user.id).password_hash = hash_password("Correct-Horse-9")
    session.commit()
    session.close()
    api.post_json(
        "/api/auth/login/",
        {"login": user.username, "password": "Correct-Horse-9", "session": True},
        status=200,
    )
    csrf = api.get("/api/auth/csrf/").json["csrf_token"]
    body = api.post("/api/realtime/ticket/", headers={"X-CSRF-Token": csrf}, status=201).json
    credential = tickets.redeem(rt_app.registry["realtime_tickets"], body["ticket"])
    assert credential.session_hash is not None and credential.token_id is None


def test_tickets_are_stored_hashed_used_once_and_expire():
    clock = [1000.0]
    store = MemoryTickets(clock=lambda: clock[0])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    ticket, expires = tickets.issue(store, Credential(user_id=1, token_id=2), now)
    assert expires == now + dt.timedelta(seconds=60)
    assert ticket not in store._tickets and len(store._tickets) == 1
    assert tickets.redeem(store, ticket) == Credential(user_id=1, token_id=2)
    assert tickets.redeem(store, ticket) is None
    late, _ = tickets.issue(store, Credential(user_id=1, token_id=2), now)
    clock[0] += 61
    assert tickets.redeem(store, late) is None
    assert tickets.redeem(store, "") is None
