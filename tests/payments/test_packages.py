"""Prices, lesson packages and credits: buy, grant once, hold/return/keep per lesson."""

from __future__ import annotations

import datetime as dt

import pytest

from factories import LessonFactory


def price_body(subject_id, **extra):
    return {
        "kind": "package",
        "title": "8 lessons",
        "subject_id": subject_id,
        "price": {"amount": "8000.00"},
        "lessons": 8,
        **extra,
    }


@pytest.fixture
def package(testapp, auth_headers, family):
    return testapp.post_json(
        "/api/payments/prices/", price_body(family.subject.id), headers=auth_headers(family.A)
    ).json


def buy(testapp, auth_headers, family, package, student=None):
    payment = testapp.post_json(
        "/api/payments/packages/purchase/",
        {"price_id": package["id"], "student_id": (student or family.S).id},
        headers=auth_headers(family.P),
    ).json
    testapp.post(payment["confirmation_url"].replace("http://localhost", ""), {"action": "pay"})
    return payment


def credits(testapp, auth_headers, user, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return testapp.get(f"/api/payments/credits/?{qs}", headers=auth_headers(user)).json


def test_admins_set_prices_and_everyone_reads_them(testapp, auth_headers, family, package):
    assert package["price"] == {"amount": "8000.00", "currency": "RUB"}
    assert package["lessons"] == 8 and package["period_days"] is None
    listed = testapp.get("/api/payments/prices/", headers=auth_headers(family.P)).json
    assert [p["id"] for p in listed["items"]] == [package["id"]]
    res = testapp.post_json(
        "/api/payments/prices/",
        price_body(family.subject.id),
        headers=auth_headers(family.T),
        expect_errors=True,
    )
    assert res.status_int == 403


def test_a_price_needs_what_its_kind_needs(testapp, auth_headers, family):
    body = price_body(family.subject.id, kind="subscription")
    res = testapp.post_json(
        "/api/payments/prices/", body, headers=auth_headers(family.A), expect_errors=True
    )
    assert res.status_int == 400
    assert {e["name"] for e in res.json["errors"]} == {"period_days"}


def test_buying_a_package_grants_its_credits_once(
    testapp, auth_headers, family, package, dbsession
):
    payment = buy(testapp, auth_headers, family, package)
    assert payment["money"]["amount"] == "8000.00" and payment["payee_id"] == family.E.id
    # The sandbox page pressed again: nothing more.
    testapp.post(payment["confirmation_url"].replace("http://localhost", ""), {"action": "pay"})
    seen = credits(testapp, auth_headers, family.P)
    assert seen["balances"] == [
        {"student_id": family.S.id, "subject_id": family.subject.id, "credits": 8}
    ]
    assert [i["kind"] for i in seen["items"]] == ["credit_grant"]


def test_credits_are_seen_by_the_student_parents_and_teachers_only(
    testapp, auth_headers, family, package
):
    buy(testapp, auth_headers, family, package)
    for user in (family.S, family.P, family.E, family.T, family.A):
        assert credits(testapp, auth_headers, user)["balances"][0]["credits"] == 8
    for user in (family.S2, family.P2, family.T2):
        assert credits(testapp, auth_headers, user) == {
            "balances": [],
            "items": [],
            "next_cursor": None,
        }


def test_only_parents_of_the_student_buy(testapp, auth_headers, family, package):
    for user, status in ((family.P2, 400), (family.T, 403), (family.S, 403)):
        res = testapp.post_json(
            "/api/payments/packages/purchase/",
            {"price_id": package["id"], "student_id": family.S.id},
            headers=auth_headers(user),
            expect_errors=True,
        )
        assert res.status_int == status


def test_a_lesson_holds_a_credit_a_cancellation_returns_it_completion_keeps_it(
    testapp, auth_headers, family, package, dbsession
):
    from thebot.payments.credits import service

    buy(testapp, auth_headers, family, package)
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    kept = LessonFactory(
        teacher_id=family.E.id,
        student_id=family.S.id,
        subject_id=family.subject.id,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        status="confirmed",
    )
    dropped = LessonFactory(
        teacher_id=family.E.id,
        student_id=family.S.id,
        subject_id=family.subject.id,
        start_at=start + dt.timedelta(days=1),
        end_at=start + dt.timedelta(days=1, hours=1),
        status="confirmed",
    )
    assert service.on_lesson(dbsession, kept) == "credit_use"
    assert service.on_lesson(dbsession, dropped) == "credit_use"
    assert service.on_lesson(dbsession, kept) is None  # once per lesson
    dropped.status = "cancelled"
    assert service.on_lesson(dbsession, dropped) == "credit_return"
    assert service.on_lesson(dbsession, dropped) is None
    kept.status = "completed"
    assert service.on_lesson(dbsession, kept) is None  # the held credit is the one used
    balance = credits(testapp, auth_headers, family.S)["balances"][0]["credits"]
    assert balance == 7


def test_cancelling_a_lesson_through_the_api_returns_its_credit(
    testapp, auth_headers, family, package, dbsession
):
    buy(testapp, auth_headers, family, package)
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).replace(
        minute=0, second=0, microsecond=0
    )
    booked = testapp.post_json(
        "/api/scheduling/lessons/",
        {
            "student_id": family.S.id,
            "subject_id": family.subject.id,
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=1)).isoformat(),
            "timezone": "Europe/Moscow",
        },
        headers=auth_headers(family.E),
    ).json
    assert credits(testapp, auth_headers, family.P)["balances"][0]["credits"] == 7
    testapp.post_json(
        f"/api/scheduling/lessons/{booked['id']}/cancel/",
        {"reason": "ill"},
        headers=auth_headers(family.E),
    )
    history = credits(testapp, auth_headers, family.P)
    assert history["balances"][0]["credits"] == 8
    assert [i["kind"] for i in history["items"]] == ["credit_return", "credit_use", "credit_grant"]


def test_refunding_a_package_takes_unused_credits_back_or_refuses(
    testapp, auth_headers, family, package, dbsession
):
    from thebot.payments.credits import service

    payment = buy(testapp, auth_headers, family, package)
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    for day in range(6):
        lesson = LessonFactory(
            teacher_id=family.E.id,
            student_id=family.S.id,
            subject_id=family.subject.id,
            start_at=start + dt.timedelta(days=day),
            end_at=start + dt.timedelta(days=day, hours=1),
            status="confirmed",
        )
        service.on_lesson(dbsession, lesson)
    dbsession.flush()
    url = f"/api/payments/{payment['id']}/refund/"
    admin = auth_headers(family.A)
    refused = testapp.post_json(url, {"reason": "all"}, headers=admin, expect_errors=True)
    assert refused.status_int == 409
    assert refused.json["unused_credits"] == 2 and refused.json["credits_to_remove"] == 8
    half = testapp.post_json(url, {"amount": "2000.00", "reason": "two lessons"}, headers=admin)
    assert half.json["status"] == "partially_refunded"
    assert credits(testapp, auth_headers, family.P)["balances"][0]["credits"] == 0
    forced = testapp.post_json(url, {"reason": "the rest", "force": True}, headers=admin)
    assert forced.json["status"] == "refunded"
    assert credits(testapp, auth_headers, family.P)["balances"][0]["credits"] == -6


def test_the_booking_guard_refuses_without_credits_when_the_setting_says_so(
    testapp, auth_headers, family, package, dbsession
):
    from thebot.errors import Conflict
    from thebot.payments.credits import service

    refuse = {"payments_booking_without_credits": False}

    def guard(dbsession, settings, student_id, subject_id):
        service.booking_guard(dbsession, settings, family.E.id, student_id, subject_id, None)

    guard(dbsession, refuse, family.S.id, family.subject.id)  # no package yet
    buy(testapp, auth_headers, family, package)
    guard(dbsession, refuse, family.S.id, family.subject.id)  # 8 credits
    from thebot.payments.ledger import service as ledger
    from thebot.payments.ledger.models import Kind

    ledger.append(
        dbsession,
        Kind.ADJUSTMENT,
        credits=-8,
        student_id=family.S.id,
        subject_id=family.subject.id,
    )
    with pytest.raises(Conflict):
        guard(dbsession, refuse, family.S.id, family.subject.id)
    guard(dbsession, {}, family.S.id, family.subject.id)  # allowed by default


def test_completing_a_lesson_that_held_no_credit_takes_one_once(
    testapp, auth_headers, family, package, dbsession
):
    """A lesson booked before the package was bought held nothing: completing it uses one."""
    from thebot.payments.credits import service

    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    earlier = LessonFactory(
        teacher_id=family.E.id,
        student_id=family.S.id,
        subject_id=family.subject.id,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        status="confirmed",
    )
    assert service.on_lesson(dbsession, earlier) is None  # no credits yet: pays otherwise
    buy(testapp, auth_headers, family, package)
    earlier.status = "completed"
    assert service.on_lesson(dbsession, earlier) == "credit_use"
    assert service.on_lesson(dbsession, earlier) is None
    assert credits(testapp, auth_headers, family.S)["balances"][0]["credits"] == 7
