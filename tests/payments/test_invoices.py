"""Invoices: who bills whom, server-computed totals, who sees what, paying (sandbox)."""

from __future__ import annotations

import datetime as dt

import time_machine
from payments_support import invoice_body
from sqlalchemy import select

from thebot.payments.invoices.models import Invoice
from thebot.payments.ledger.models import LedgerEntry


def test_a_tutor_bills_their_student_and_the_server_computes_the_total(
    testapp, auth_headers, family
):
    body = invoice_body(family.S.id, ("Lesson", 3, "1500.00"), ("Book", 1, "499.99"))
    res = testapp.post_json("/api/payments/invoices/", body, headers=auth_headers(family.T))
    assert res.status_int == 201
    assert res.json["status"] == "draft"
    assert res.json["total"] == {"amount": "4999.99", "currency": "RUB"}
    assert [line["amount"]["amount"] for line in res.json["lines"]] == ["4500.00", "499.99"]
    assert res.headers["Location"].endswith(f"/api/payments/invoices/{res.json['id']}/")


def test_a_client_cannot_send_a_total(testapp, auth_headers, family):
    body = {**invoice_body(family.S.id), "total": {"amount": "1.00", "currency": "RUB"}}
    res = testapp.post_json(
        "/api/payments/invoices/", body, headers=auth_headers(family.T), expect_errors=True
    )
    assert res.status_int == 400


def test_a_tutor_cannot_bill_a_student_they_do_not_teach(testapp, auth_headers, family):
    res = testapp.post_json(
        "/api/payments/invoices/",
        invoice_body(family.S2.id),
        headers=auth_headers(family.T),
        expect_errors=True,
    )
    assert res.status_int == 400
    assert res.json["errors"][0]["name"] == "student_id"


def test_parents_and_students_cannot_create_invoices(testapp, auth_headers, family):
    for user in (family.P, family.S):
        res = testapp.post_json(
            "/api/payments/invoices/",
            invoice_body(family.S.id),
            headers=auth_headers(user),
            expect_errors=True,
        )
        assert res.status_int == 403


def test_a_parent_sees_only_their_childrens_invoices(testapp, auth_headers, family, sent_invoice):
    mine = sent_invoice(testapp)
    other = testapp.post_json(
        "/api/payments/invoices/", invoice_body(family.S2.id), headers=auth_headers(family.T2)
    ).json
    listed = testapp.get("/api/payments/invoices/", headers=auth_headers(family.P)).json
    assert [i["id"] for i in listed["items"]] == [mine["id"]]
    res = testapp.get(
        f"/api/payments/invoices/{other['id']}/",
        headers=auth_headers(family.P),
        expect_errors=True,
    )
    assert res.status_int == 404
    assert (
        testapp.get(
            f"/api/payments/invoices/{other['id']}/",
            headers=auth_headers(family.E),
            expect_errors=True,
        ).status_int
        == 404
    )


def test_a_student_never_sees_amounts_unless_enabled(
    testapp, app, auth_headers, family, sent_invoice, monkeypatch
):
    made = sent_invoice(testapp)
    seen = testapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.S))
    assert seen.json["total"] is None
    assert all(line["unit_price"] is None for line in seen.json["lines"])
    monkeypatch.setitem(app.registry.settings, "payments_students_see_amounts", True)
    seen = testapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.S))
    assert seen.json["total"]["amount"] == "5000.00"


def test_only_a_draft_is_edited_and_the_total_follows_the_lines(testapp, auth_headers, family):
    headers = auth_headers(family.T)
    made = testapp.post_json(
        "/api/payments/invoices/", invoice_body(family.S.id), headers=headers
    ).json
    url = f"/api/payments/invoices/{made['id']}/"
    patched = testapp.patch_json(
        url,
        {"lines": [{"description": "Lesson", "quantity": 2, "unit_price": "100.50"}]},
        headers=headers,
    )
    assert patched.json["total"]["amount"] == "201.00"
    testapp.post_json(url + "send/", {}, headers=headers)
    res = testapp.patch_json(url, {"description": "x"}, headers=headers, expect_errors=True)
    assert res.status_int == 409


def test_paying_gives_a_payment_to_confirm_and_idempotency_key_replays(
    testapp, auth_headers, family, sent_invoice
):
    made = sent_invoice(testapp)
    headers = {**auth_headers(family.P), "Idempotency-Key": "pay-once-1"}
    url = f"/api/payments/invoices/{made['id']}/pay/"
    first = testapp.post_json(url, {}, headers=headers)
    assert first.status_int == 201
    assert first.json["status"] == "pending"
    assert first.json["money"] == {"amount": "5000.00", "currency": "RUB"}
    assert "/api/payments/sandbox/" in first.json["confirmation_url"]
    again = testapp.post_json(url, {}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    # Without the key, an open payment of the same parent is returned, not a second one.
    third = testapp.post_json(url, {}, headers=auth_headers(family.P))
    assert third.json["id"] == first.json["id"]


def test_only_the_students_parents_pay(testapp, auth_headers, family, sent_invoice):
    made = sent_invoice(testapp)
    url = f"/api/payments/invoices/{made['id']}/pay/"
    assert (
        testapp.post_json(url, {}, headers=auth_headers(family.P2), expect_errors=True).status_int
        == 404
    )
    assert (
        testapp.post_json(url, {}, headers=auth_headers(family.S), expect_errors=True).status_int
        == 403
    )
    assert (
        testapp.post_json(url, {}, headers=auth_headers(family.T), expect_errors=True).status_int
        == 403
    )


def test_a_draft_or_cancelled_invoice_cannot_be_paid(testapp, auth_headers, family):
    headers = auth_headers(family.T)
    made = testapp.post_json(
        "/api/payments/invoices/", invoice_body(family.S.id), headers=headers
    ).json
    url = f"/api/payments/invoices/{made['id']}/"
    res = testapp.post_json(url + "pay/", {}, headers=auth_headers(family.P), expect_errors=True)
    assert res.status_int == 409
    testapp.post_json(url + "cancel/", {}, headers=headers)
    res = testapp.post_json(url + "pay/", {}, headers=auth_headers(family.P), expect_errors=True)
    assert res.status_int == 409 and res.json["current_status"] == "cancelled"


def test_sandbox_pay_marks_the_invoice_paid_through_the_webhook_path(
    testapp, auth_headers, family, sent_invoice, dbsession
):
    made = sent_invoice(testapp)
    payment = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    ).json
    page_url = payment["confirmation_url"].replace("http://localhost", "")
    page = testapp.get(page_url)
    assert page.content_type == "text/html" and "Pay" in page.text
    decided = testapp.post(page_url, {"action": "pay"})
    assert decided.json == {"status": "applied"}
    assert testapp.post(page_url, {"action": "pay"}).json == {"status": "unchanged"}
    seen = testapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.P))
    assert seen.json["status"] == "paid"
    got = testapp.get(f"/api/payments/{payment['id']}/", headers=auth_headers(family.P)).json
    assert got["status"] == "succeeded" and got["confirmation_url"] is None
    charges = dbsession.scalars(
        select(LedgerEntry).where(LedgerEntry.payment_id == payment["id"])
    ).all()
    assert [(c.kind, str(c.amount)) for c in charges] == [("charge", "5000.00")]


def test_sandbox_fail_cancels_the_payment_and_the_invoice_stays_payable(
    testapp, auth_headers, family, sent_invoice
):
    made = sent_invoice(testapp)
    payment = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    ).json
    testapp.post(payment["confirmation_url"].replace("http://localhost", ""), {"action": "fail"})
    got = testapp.get(f"/api/payments/{payment['id']}/", headers=auth_headers(family.P)).json
    assert got["status"] == "canceled"
    seen = testapp.get(f"/api/payments/invoices/{made['id']}/", headers=auth_headers(family.P))
    assert seen.json["status"] == "sent"
    again = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    ).json
    assert again["id"] != payment["id"]


def test_the_overdue_job_marks_sent_invoices_past_due(
    testapp, app, family, sent_invoice, dbsession
):
    from thebot.payments.invoices import service

    made = sent_invoice(testapp)
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)):
        ids = service.mark_overdue(dbsession, dt.date.today())
    assert ids == [made["id"]]
    assert dbsession.get(Invoice, made["id"]).status == "overdue"


def test_the_overdue_task_is_scheduled(app):
    names = {p.task_name for p in app.registry["periodic_tasks"]}
    assert {
        "payments.invoices.mark_overdue",
        "payments.invoices.remind",
        "payments.poll_pending",
        "payments.subscriptions.renew",
    } <= names


def test_printable_invoice_is_html(testapp, auth_headers, family, sent_invoice):
    made = sent_invoice(testapp)
    page = testapp.get(
        f"/api/payments/invoices/{made['id']}/print/", headers=auth_headers(family.P)
    )
    assert page.content_type == "text/html"
    assert "5000.00" in page.text and f"Invoice {made['id']}" in page.text


def test_parents_are_notified_of_a_sent_invoice_and_the_payer_of_the_payment(
    testapp, auth_headers, family, sent_invoice, dbsession
):
    from thebot.notifications.models import Notification

    made = sent_invoice(testapp)
    payment = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    ).json
    testapp.post(payment["confirmation_url"].replace("http://localhost", ""), {"action": "pay"})
    kinds = dbsession.scalars(
        select(Notification.kind).where(Notification.user_id == family.P.id)
    ).all()
    assert sorted(kinds) == ["payments.invoice_sent", "payments.payment_succeeded"]


def test_reminders_go_before_and_after_the_due_date(testapp, family, sent_invoice, dbsession):
    from thebot.payments.invoices import service

    made = sent_invoice(testapp)  # due in 7 days
    today = dt.date.today()
    assert service.remind(dbsession, today) == []
    assert service.remind(dbsession, today + dt.timedelta(days=4)) == [made["id"]]
    assert service.remind(dbsession, today + dt.timedelta(days=10)) == [made["id"]]
    assert service.remind(dbsession, today + dt.timedelta(days=11)) == []


def test_each_reminder_goes_once_even_when_the_job_runs_twice(
    testapp, family, sent_invoice, dbsession
):
    from thebot.payments.invoices import service
    from thebot.payments.invoices.models import InvoiceReminder

    made = sent_invoice(testapp)  # due in 7 days
    before = dt.date.today() + dt.timedelta(days=4)
    assert service.remind(dbsession, before) == [made["id"]]
    assert service.remind(dbsession, before) == []  # the same day again
    assert service.remind(dbsession, before + dt.timedelta(days=1)) == []  # still before
    after = dt.date.today() + dt.timedelta(days=12)  # a missed run: caught up later
    assert service.remind(dbsession, after) == [made["id"]]
    assert service.remind(dbsession, after) == []
    rows = dbsession.scalars(
        select(InvoiceReminder.days).where(InvoiceReminder.invoice_id == made["id"])
    ).all()
    assert sorted(rows) == [-3, 3]
