"""Payments, refunds and the ledger over HTTP: who sees what, refund rules, constant queries."""

from __future__ import annotations

from decimal import Decimal

from factories import PaymentFactory
from thebot.payments.payments.models import Payment


def paid(testapp, auth_headers, family, sent_invoice, *lines):
    """A succeeded sandbox payment of a sent invoice by T for S, paid by P."""
    made = sent_invoice(testapp, *lines)
    payment = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    ).json
    testapp.post(payment["confirmation_url"].replace("http://localhost", ""), {"action": "pay"})
    return payment


def test_payments_are_seen_by_admins_the_payer_and_the_tutor_paid_only(
    testapp, auth_headers, family, sent_invoice
):
    payment = paid(testapp, auth_headers, family, sent_invoice)
    url = f"/api/payments/{payment['id']}/"
    for user in (family.A, family.P, family.T):
        assert testapp.get(url, headers=auth_headers(user)).json["id"] == payment["id"]
        listed = testapp.get("/api/payments/", headers=auth_headers(user)).json["items"]
        assert [p["id"] for p in listed] == [payment["id"]]
    for user in (family.S, family.E, family.P2, family.T2, family.S2):
        assert testapp.get(url, headers=auth_headers(user), expect_errors=True).status_int == 404
        assert testapp.get("/api/payments/", headers=auth_headers(user)).json["items"] == []
    assert testapp.get(url, expect_errors=True).status_int == 401


def test_card_details_are_for_the_payer_and_admins_only(
    testapp, auth_headers, family, sent_invoice
):
    payment = paid(testapp, auth_headers, family, sent_invoice)
    url = f"/api/payments/{payment['id']}/"
    assert "payment_method" in testapp.get(url, headers=auth_headers(family.P)).json
    assert "payment_method" not in testapp.get(url, headers=auth_headers(family.T)).json


def test_several_partial_refunds_up_to_the_amount(testapp, auth_headers, family, sent_invoice):
    payment = paid(testapp, auth_headers, family, sent_invoice)
    url = f"/api/payments/{payment['id']}/refund/"
    admin = auth_headers(family.A)
    first = testapp.post_json(url, {"amount": "1000.00", "reason": "one lesson"}, headers=admin)
    assert first.json["status"] == "partially_refunded"
    assert first.json["refunded"]["amount"] == "1000.00"
    too_much = testapp.post_json(
        url, {"amount": "4000.01", "reason": "too much"}, headers=admin, expect_errors=True
    )
    assert too_much.status_int == 400 and "4000.00" in too_much.json["errors"][0]["description"]
    second = testapp.post_json(url, {"amount": "4000.00", "reason": "the rest"}, headers=admin)
    assert second.json["status"] == "refunded"
    assert [r["money"]["amount"] for r in second.json["refunds"]] == ["1000.00", "4000.00"]
    again = testapp.post_json(url, {"reason": "again"}, headers=admin, expect_errors=True)
    assert again.status_int == 409


def test_only_admins_refund(testapp, auth_headers, family, sent_invoice):
    payment = paid(testapp, auth_headers, family, sent_invoice)
    url = f"/api/payments/{payment['id']}/refund/"
    for user, status in ((family.P, 403), (family.T, 403), (family.P2, 404), (family.S, 404)):
        res = testapp.post_json(
            url, {"reason": "please"}, headers=auth_headers(user), expect_errors=True
        )
        assert res.status_int == status


def test_a_pending_payment_cannot_be_refunded(testapp, auth_headers, family, sent_invoice):
    made = sent_invoice(testapp)
    payment = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    ).json
    res = testapp.post_json(
        f"/api/payments/{payment['id']}/refund/",
        {"reason": "x"},
        headers=auth_headers(family.A),
        expect_errors=True,
    )
    assert res.status_int == 409 and res.json["current_status"] == "pending"


def test_the_ledger_is_for_admins_and_balances_are_derived(
    testapp, auth_headers, family, sent_invoice, dbsession
):
    from thebot.payments.ledger.service import money_balance

    payment = paid(testapp, auth_headers, family, sent_invoice)
    testapp.post_json(
        f"/api/payments/{payment['id']}/refund/",
        {"amount": "500.00", "reason": "discount"},
        headers=auth_headers(family.A),
    )
    rows = testapp.get("/api/payments/ledger/", headers=auth_headers(family.A)).json["items"]
    assert [(r["kind"], r["money"]["amount"]) for r in rows] == [
        ("refund", "-500.00"),
        ("charge", "5000.00"),
    ]
    only = testapp.get("/api/payments/ledger/?kind=charge", headers=auth_headers(family.A))
    assert [r["kind"] for r in only.json["items"]] == ["charge"]
    assert money_balance(dbsession) == Decimal("4500.00")
    for user in (family.P, family.T, family.S):
        res = testapp.get("/api/payments/ledger/", headers=auth_headers(user), expect_errors=True)
        assert res.status_int == 403


def test_ledger_rows_are_never_changed(testapp, auth_headers, family, sent_invoice, dbsession):
    import pytest
    from sqlalchemy import select

    from thebot.payments.ledger.models import AppendOnly, LedgerEntry

    paid(testapp, auth_headers, family, sent_invoice)
    row = dbsession.scalars(select(LedgerEntry)).first()
    row.note = "tampered"
    with pytest.raises(AppendOnly):
        dbsession.flush()
    dbsession.rollback()


def test_lists_run_constant_queries(
    testapp, auth_headers, family, dbsession, queries_for_1_and_30
):
    headers = auth_headers(family.P)

    def add(n):
        for _ in range(n):
            PaymentFactory(payer_id=family.P.id, payee_id=family.T.id, student_id=family.S.id)
        dbsession.flush()

    def fetch():
        return testapp.get("/api/payments/?limit=100", headers=headers).json["items"]

    queries_for_1_and_30(add, fetch)


def test_invoice_list_runs_constant_queries(
    testapp, auth_headers, family, dbsession, queries_for_1_and_30
):
    from factories import InvoiceFactory, InvoiceLineFactory

    headers = auth_headers(family.P)

    def add(n):
        for _ in range(n):
            invoice = InvoiceFactory(student_id=family.S.id, issuer_id=family.T.id)
            InvoiceLineFactory(invoice_id=invoice.id)
            InvoiceLineFactory(invoice_id=invoice.id)
        dbsession.flush()
        dbsession.expire_all()

    def fetch():
        return testapp.get("/api/payments/invoices/?limit=100", headers=headers).json["items"]

    queries_for_1_and_30(add, fetch)


def test_payment_amount_comes_from_the_invoice(
    testapp, auth_headers, family, sent_invoice, dbsession
):
    made = sent_invoice(testapp, ("Lesson", 2, "750.25"))
    res = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/",
        {"amount": "1.00"},
        headers=auth_headers(family.P),
        expect_errors=True,
    )
    assert res.status_int == 400  # no amount field at all
    ok = testapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    )
    assert dbsession.get(Payment, ok.json["id"]).amount == Decimal("1500.50")


def test_ledger_credits_prices_and_subscriptions_lists_run_constant_queries(
    testapp, auth_headers, family, dbsession, queries_for_1_and_30
):
    from factories import LedgerEntryFactory, PriceFactory, SubscriptionFactory

    admin = auth_headers(family.A)
    lists = {
        "/api/payments/ledger/": lambda: LedgerEntryFactory(
            student_id=family.S.id, subject_id=family.subject.id
        ),
        "/api/payments/credits/": lambda: LedgerEntryFactory(
            student_id=family.S.id, subject_id=family.subject.id
        ),
        "/api/payments/prices/": lambda: PriceFactory(subject_id=family.subject.id),
        "/api/payments/subscriptions/": lambda: SubscriptionFactory(
            enrollment_id=family.enrollment.id, payer_id=family.P.id
        ),
    }
    for url, make in lists.items():
        before = len(testapp.get(url + "?limit=200", headers=admin).json["items"])

        def add(n, make=make):
            for _ in range(n):
                make()
            dbsession.flush()

        def fetch(url=url, before=before):
            return testapp.get(url + "?limit=200", headers=admin).json["items"][before:]

        queries_for_1_and_30(add, fetch)


def test_every_state_change_is_audited(testapp, auth_headers, family, sent_invoice, dbsession):
    from sqlalchemy import select

    from thebot.audit import AuditEvent

    payment = paid(testapp, auth_headers, family, sent_invoice)
    testapp.post_json(
        f"/api/payments/{payment['id']}/refund/",
        {"amount": "1000.00", "reason": "one lesson"},
        headers=auth_headers(family.A),
    )
    rows = dbsession.execute(select(AuditEvent.action, AuditEvent.details)).all()
    actions = [action for action, _ in rows]
    for needed in (
        "invoice.changed",  # draft, sent, paid
        "payment.created",
        "payment.succeeded",
        "refund.succeeded",
    ):
        assert needed in actions, actions
    statuses = [d.get("status") for a, d in rows if a == "invoice.changed"]
    assert statuses == ["draft", "sent", "paid"]
