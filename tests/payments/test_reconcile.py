"""Reconciliation: the ledger against the (fake) provider for a date range."""

from __future__ import annotations

import datetime as dt

from thebot.payments.payments.models import Payment
from thebot.payments.providers import provider_for
from thebot.payments.reconcile import differences


def test_a_clean_ledger_has_no_differences_and_a_divergence_is_reported(
    ykapp, auth_headers, family, sent_invoice, yk, dbsession, hook, yookassa_app
):
    made = sent_invoice(ykapp)
    payment = ykapp.post_json(
        f"/api/payments/invoices/{made['id']}/pay/", {}, headers=auth_headers(family.P)
    ).json
    provider_id = dbsession.get(Payment, payment["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")
    hook("payment.succeeded", provider_id)
    ykapp.post_json(
        f"/api/payments/{payment['id']}/refund/",
        {"amount": "100.00", "reason": "goodwill"},
        headers=auth_headers(family.A),
    )

    class Request:
        registry = yookassa_app.registry

    provider = provider_for(Request())
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    window = (today, today + dt.timedelta(days=1))
    assert list(differences(dbsession, provider, *window)) == []
    yk.set_status(provider_id, "canceled", amount={"value": "4000.00", "currency": "RUB"})
    found = list(differences(dbsession, provider, *window))
    assert any("provider amount 4000.00" in line for line in found)
    assert any("canceled at the provider, but charged" in line for line in found)
    assert list(differences(dbsession, provider, today - dt.timedelta(days=2), today)) == []


def test_the_console_script_answers_help():
    import pytest

    from thebot.scripts.payments_reconcile import main

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
