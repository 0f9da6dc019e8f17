"""The real YooKassa adapter against the fake API: creation, webhooks, retries, polling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from thebot.payments.ledger.models import LedgerEntry
from thebot.payments.payments.models import Payment


def pay(ykapp, auth_headers, family, sent_invoice):
    made = sent_invoice(ykapp)
    res = ykapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    )
    assert res.status_int == 201
    return made, res.json


def charges(dbsession, payment_id):
    return dbsession.scalars(
        select(LedgerEntry).where(
            LedgerEntry.payment_id == payment_id, LedgerEntry.kind == "charge"
        )
    ).all()


def test_create_sends_capture_redirect_our_id_only_and_a_derived_idempotence_key(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession
):
    _made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    [request] = yk.posts("/payments")
    assert request["body"]["capture"] is True
    assert request["body"]["amount"] == {"value": "5000.00", "currency": "RUB"}
    assert request["body"]["confirmation"]["type"] == "redirect"
    assert request["body"]["metadata"] == {"payment_id": str(payment["id"])}
    assert request["key"].startswith(f"thebot-payment-{payment['id']}-")
    assert payment["confirmation_url"].startswith("https://yoomoney.example/checkout/")
    stored = dbsession.get(Payment, payment["id"])
    assert stored.idempotence_key == request["key"]


def test_a_webhook_from_a_foreign_address_is_refused_and_changes_nothing(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, client, yookassa_app
):
    _made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")
    body = {"type": "notification", "event": "payment.succeeded", "object": {"id": provider_id}}
    res = ykapp.post_json("/api/payments/webhooks/yookassa/", body, expect_errors=True)
    assert res.status_int == 403 and res.content_type == "application/problem+json"
    # A forged X-Forwarded-For from a client that is no trusted proxy counts for nothing.
    res = ykapp.post_json(
        "/api/payments/webhooks/yookassa/",
        body,
        headers={"X-Forwarded-For": "185.71.76.10"},
        expect_errors=True,
    )
    assert res.status_int == 403
    assert dbsession.get(Payment, payment["id"]).status == "pending"
    assert charges(dbsession, payment["id"]) == []


def test_behind_a_trusted_proxy_the_forwarded_address_is_checked(
    auth_headers, family, sent_invoice, yk, dbsession, client, yookassa_app
):
    api = client(yookassa_app)
    _made, payment = pay(api, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")
    proxied = client(yookassa_app, REMOTE_ADDR="127.0.0.1")  # the default TRUSTED_PROXIES
    body = {"type": "notification", "event": "payment.succeeded", "object": {"id": provider_id}}
    res = proxied.post_json(
        "/api/payments/webhooks/yookassa/",
        body,
        headers={"X-Forwarded-For": "203.0.113.9"},
        expect_errors=True,
    )
    assert res.status_int == 403
    res = proxied.post_json(
        "/api/payments/webhooks/yookassa/", body, headers={"X-Forwarded-For": "185.71.77.3"}
    )
    assert res.json == {"status": "applied"}


def test_a_status_the_api_does_not_confirm_grants_nothing(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, hook
):
    made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    res = hook("payment.succeeded", provider_id)  # the API still says pending
    assert res.status_int == 200 and res.json == {"status": "unchanged"}
    assert dbsession.get(Payment, payment["id"]).status == "pending"
    invoice = ykapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.P))
    assert invoice.json["status"] == "sent"
    assert charges(dbsession, payment["id"]) == []


def test_an_amount_mismatch_flags_the_payment_and_grants_nothing(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, hook
):
    made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded", amount={"value": "1.00", "currency": "RUB"})
    assert hook("payment.succeeded", provider_id).json == {"status": "applied"}
    stored = dbsession.get(Payment, payment["id"])
    dbsession.refresh(stored)
    assert stored.status == "pending" and stored.needs_review
    assert "1.00" in stored.review_reason
    assert charges(dbsession, payment["id"]) == []
    invoice = ykapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.P))
    assert invoice.json["status"] == "sent"
    admin = ykapp.get("/api/payments/?needs_review=true", headers=auth_headers(family.A)).json
    assert [p["id"] for p in admin["items"]] == [payment["id"]]


def test_a_duplicate_webhook_grants_once(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, hook
):
    made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")
    assert hook("payment.succeeded", provider_id).json == {"status": "applied"}
    assert hook("payment.succeeded", provider_id).json == {"status": "unchanged"}
    # A late "canceled" after success changes nothing either.
    assert hook("payment.canceled", provider_id).json == {"status": "unchanged"}
    assert len(charges(dbsession, payment["id"])) == 1
    invoice = ykapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.P))
    assert invoice.json["status"] == "paid"


def test_unknown_ids_are_answered_200_and_ignored(hook, caplog):
    res = hook("payment.succeeded", "yk-no-such-payment")
    assert res.status_int == 200 and res.json == {"status": "ignored"}
    assert "unknown payment" in caplog.text


def test_a_network_error_is_retried_with_the_same_key_and_charges_once(
    ykapp, auth_headers, family, sent_invoice, yk
):
    made = sent_invoice(ykapp)
    yk.faults[:] = ["500-after", "drop"]  # processed but answer lost; then the line drops
    res = ykapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    )
    assert res.status_int == 201
    posts = yk.posts("/payments")
    assert len(posts) == 3 and len({p["key"] for p in posts}) == 1
    assert len(yk.payments) == 1


def test_a_4xx_is_not_retried_and_creates_nothing(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession
):
    made = sent_invoice(ykapp)
    yk.faults[:] = ["400"]
    res = ykapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/",
        {},
        headers=auth_headers(family.P),
        expect_errors=True,
    )
    assert res.status_int == 409
    assert len(yk.posts("/payments")) == 1
    assert dbsession.scalars(select(Payment)).all() == []


def test_the_provider_down_is_a_503_after_the_retries(
    ykapp, auth_headers, family, sent_invoice, yk
):
    made = sent_invoice(ykapp)
    yk.faults[:] = ["500", "500", "500"]
    res = ykapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/",
        {},
        headers=auth_headers(family.P),
        expect_errors=True,
    )
    assert res.status_int == 503
    assert len(yk.posts("/payments")) == 3


def test_polling_settles_payments_whose_webhook_was_missed(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, yookassa_app
):
    from thebot.payments.providers import provider_for
    from thebot.payments.webhooks import service

    made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")

    class FakeRequest:
        registry = yookassa_app.registry

    provider = provider_for(FakeRequest())
    now = dt.datetime.now(dt.timezone.utc)
    assert service.poll(dbsession, provider, now, 15) == 0  # not stuck yet
    with time_machine.travel(now + dt.timedelta(minutes=20)):
        assert service.poll(dbsession, provider, now + dt.timedelta(minutes=20), 15) == 1
    assert dbsession.get(Payment, payment["id"]).status == "succeeded"
    assert len(charges(dbsession, payment["id"])) == 1


@pytest.mark.parametrize("amount", [None, "2000.00"])
def test_refunds_full_and_partial(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, hook, amount
):
    _made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")
    hook("payment.succeeded", provider_id)
    body = {"reason": "Lesson missed"} | ({"amount": amount} if amount else {})
    res = ykapp.post_json(
        f"/api/payments/{payment['id']}/refund/", body, headers=auth_headers(family.A)
    )
    assert res.status_int == 201
    expected = "partially_refunded" if amount else "refunded"
    assert res.json["status"] == expected
    assert res.json["refunded"]["amount"] == (amount or "5000.00")
    [refund_call] = yk.posts("/refunds")
    assert refund_call["key"].startswith("thebot-refund-")
    rows = dbsession.scalars(
        select(LedgerEntry).where(LedgerEntry.payment_id == payment["id"]).order_by(LedgerEntry.id)
    ).all()
    assert [(r.kind, r.amount) for r in rows] == [
        ("charge", Decimal("5000.00")),
        ("refund", -Decimal(amount or "5000.00")),
    ]


def test_a_pending_refund_is_settled_by_its_webhook_once(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, hook
):
    from thebot.payments.payments.models import Refund

    _made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")
    hook("payment.succeeded", provider_id)
    yk.refund_status = "pending"
    res = ykapp.post_json(
        f"/api/payments/{payment['id']}/refund/",
        {"amount": "700.00", "reason": "one lesson"},
        headers=auth_headers(family.A),
    )
    assert res.json["status"] == "succeeded" and res.json["refunds"][0]["status"] == "pending"
    refund = dbsession.scalars(select(Refund)).one()
    assert hook("refund.succeeded", refund.provider_refund_id).json == {"status": "unchanged"}
    yk.refunds[refund.provider_refund_id]["status"] = "succeeded"
    assert hook("refund.succeeded", refund.provider_refund_id).json == {"status": "applied"}
    assert hook("refund.succeeded", refund.provider_refund_id).json == {"status": "unchanged"}
    got = ykapp.get(f"/api/payments/{payment['id']}/", headers=auth_headers(family.A)).json
    assert got["status"] == "partially_refunded" and got["refunded"]["amount"] == "700.00"
    rows = dbsession.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "refund", LedgerEntry.refund_id == refund.id)
    ).all()
    assert len(rows) == 1


def test_waiting_for_capture_is_recorded_and_grants_nothing_until_it_succeeds(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, hook
):
    made, payment = pay(ykapp, auth_headers, family, sent_invoice)
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "waiting_for_capture")
    assert hook("payment.waiting_for_capture", provider_id).json == {"status": "applied"}
    stored = dbsession.get(Payment, payment["id"])
    dbsession.refresh(stored)
    assert stored.status == "waiting_for_capture"
    assert charges(dbsession, payment["id"]) == []
    invoice = ykapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.P))
    assert invoice.json["status"] == "sent"
    yk.set_status(provider_id, "succeeded")
    assert hook("payment.succeeded", provider_id).json == {"status": "applied"}
    assert len(charges(dbsession, payment["id"])) == 1
