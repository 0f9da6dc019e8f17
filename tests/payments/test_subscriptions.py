"""Subscriptions against the fake YooKassa: first payment saves the method, renewals charge
it, failed renewals are retried after 1, 3, 7 days, then past due; cancel stops charges."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from thebot.payments.ledger.models import LedgerEntry
from thebot.payments.payments.models import Payment
from thebot.payments.providers import provider_for
from thebot.payments.subscriptions import service
from thebot.payments.subscriptions.models import Subscription


@pytest.fixture
def provider(yookassa_app):
    class Request:
        registry = yookassa_app.registry

    return provider_for(Request())


@pytest.fixture
def active(ykapp, auth_headers, family, yk, hook, dbsession):
    """An active subscription of S's enrollment, paid by P (6000.00 per 30 days)."""
    price = ykapp.post_json(
        "/api/payments/prices/",
        {
            "kind": "subscription",
            "title": "Monthly",
            "subject_id": family.subject.id,
            "price": {"amount": "6000.00"},
            "period_days": 30,
        },
        headers=auth_headers(family.A),
    ).json
    made = ykapp.post_json(
        "/api/payments/subscriptions/",
        {"enrollment_id": family.enrollment.id, "price_id": price["id"]},
        headers=auth_headers(family.P),
    )
    assert made.status_int == 201
    assert made.json["status"] == "pending"
    [first] = yk.posts("/payments")
    assert first["body"]["save_payment_method"] is True
    provider_id = dbsession.get(Payment, made.json["payment"]["id"]).provider_payment_id
    yk.set_status(provider_id, "succeeded")
    assert hook("payment.succeeded", provider_id).json == {"status": "applied"}
    item = dbsession.get(Subscription, made.json["id"])
    dbsession.refresh(item)
    return item


def charges(dbsession, item):
    return dbsession.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .join(Payment, Payment.id == LedgerEntry.payment_id)
        .where(Payment.subscription_id == item.id, LedgerEntry.kind == "charge")
    )


def test_the_first_payment_activates_and_saves_the_method(active, dbsession):
    assert active.status == "active"
    assert active.payment_method_id.startswith("pm-")
    assert active.current_period_end > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=29)
    assert charges(dbsession, active) == 1


def test_a_due_renewal_charges_the_saved_method_once(active, dbsession, provider, yk):
    end = active.current_period_end
    later = end + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        assert service.renew_due(dbsession, provider, later) == 1
        assert service.renew_due(dbsession, provider, later) == 0  # already renewed
    renewal = yk.posts("/payments")[-1]
    assert renewal["body"]["payment_method_id"] == active.payment_method_id
    assert "confirmation" not in renewal["body"]
    dbsession.refresh(active)
    assert active.current_period_end == end + dt.timedelta(days=30)
    assert charges(dbsession, active) == 2


def test_failed_renewals_are_retried_after_1_3_7_days_then_past_due(
    active, dbsession, provider, yk
):
    active.payment_method_id = "pm-expired-decline"
    dbsession.flush()
    now = active.current_period_end + dt.timedelta(minutes=1)
    waits = []
    for _attempt in range(4):
        with time_machine.travel(now):
            assert service.renew_due(dbsession, provider, now) == 1
        dbsession.refresh(active)
        if active.next_charge_at is None:
            break
        waits.append(round((active.next_charge_at - now).total_seconds() / 86400))
        now = active.next_charge_at + dt.timedelta(minutes=1)
    assert waits == [1, 3, 7]
    assert active.status == "past_due" and active.enrollment_flagged
    assert charges(dbsession, active) == 1


def test_cancel_stops_future_charges_and_keeps_the_paid_period(
    active, ykapp, auth_headers, family, dbsession, provider
):
    url = f"/api/payments/subscriptions/{active.id}/cancel/"
    assert (
        ykapp.post_json(url, {}, headers=auth_headers(family.E), expect_errors=True).status_int
        == 403
    )
    assert (
        ykapp.post_json(url, {}, headers=auth_headers(family.P2), expect_errors=True).status_int
        == 404
    )
    res = ykapp.post_json(url, {}, headers=auth_headers(family.P))
    assert res.json["status"] == "cancelled"
    assert res.json["current_period_end"] is not None
    later = active.current_period_end + dt.timedelta(days=1)
    assert service.renew_due(dbsession, provider, later) == 0


def test_subscriptions_are_seen_by_admins_payer_and_teacher(active, ykapp, auth_headers, family):
    for user in (family.A, family.P, family.E):
        items = ykapp.get("/api/payments/subscriptions/", headers=auth_headers(user)).json["items"]
        assert [i["id"] for i in items] == [active.id]
    for user in (family.S2, family.P2, family.T2):
        assert (
            ykapp.get("/api/payments/subscriptions/", headers=auth_headers(user)).json["items"]
            == []
        )


def test_one_subscription_per_enrollment_and_only_the_parent_subscribes(
    active, ykapp, auth_headers, family
):
    body = {"enrollment_id": family.enrollment.id, "price_id": active.price_id}
    again = ykapp.post_json(
        "/api/payments/subscriptions/", body, headers=auth_headers(family.P), expect_errors=True
    )
    assert again.status_int == 409
    other = ykapp.post_json(
        "/api/payments/subscriptions/", body, headers=auth_headers(family.P2), expect_errors=True
    )
    assert other.status_int == 400


@pytest.mark.parametrize("change", ["renewal_failed", "past_due"])
def test_the_payer_is_told_when_a_renewal_fails_or_the_subscription_is_past_due(
    active, dbsession, family, yookassa_app, change
):
    from types import SimpleNamespace

    import transaction

    from thebot.events import Committing
    from thebot.notifications.models import Notification
    from thebot.payments.events import SubscriptionChanged
    from thebot.payments.notices import subscription_notice

    event = SubscriptionChanged(
        subscription_id=active.id, status="active", change=change, payer_id=family.P.id
    )
    manager = transaction.TransactionManager()
    manager.begin()
    request = SimpleNamespace(registry=yookassa_app.registry, dbsession=dbsession, tm=manager)
    try:
        subscription_notice(Committing(event, request, dbsession), event)
    finally:
        manager.abort()
    kinds = dbsession.scalars(
        select(Notification.kind).where(Notification.user_id == family.P.id)
    ).all()
    assert f"payments.subscription_{change}" in kinds
