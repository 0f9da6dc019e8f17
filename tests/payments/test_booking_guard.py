"""PAYMENTS_BOOKING_WITHOUT_CREDITS=false: booking a lesson of a package subject needs a credit
left (payments' booking guard, plugged into scheduling with ``config.add_booking_guard``)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from test_packages import buy, credits, price_body

from thebot.payments.ledger import service as ledger
from thebot.payments.ledger.models import Kind
from thebot.scheduling.models import Lesson

LESSONS = "/api/scheduling/lessons/"
SERIES = "/api/scheduling/series/"
NO_CREDIT = "The student has no lesson credit left in this subject: buy a package first."


@pytest.fixture
def package(testapp, auth_headers, family):
    return testapp.post_json(
        "/api/payments/prices/", price_body(family.subject.id), headers=auth_headers(family.A)
    ).json


@pytest.fixture
def refuse(app, monkeypatch):
    """The setting off (the default is on), for this test only."""
    monkeypatch.setitem(app.registry.settings, "payments_booking_without_credits", False)


def start_at(days: int = 3) -> dt.datetime:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).replace(
        minute=0, second=0, microsecond=0
    )


def book(testapp, auth_headers, family, **kw):
    start = start_at()
    return testapp.post_json(
        LESSONS,
        {
            "student_id": family.S.id,
            "subject_id": family.subject.id,
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=1)).isoformat(),
            "timezone": "Europe/Moscow",
        },
        headers=auth_headers(family.E),
        **kw,
    )


def use_up(dbsession, family, amount=8):
    ledger.append(
        dbsession,
        Kind.ADJUSTMENT,
        credits=-amount,
        student_id=family.S.id,
        subject_id=family.subject.id,
    )
    dbsession.flush()


def lesson_count(dbsession, family):
    return dbsession.scalar(
        select(func.count()).select_from(Lesson).where(Lesson.student_id == family.S.id)
    )


def test_without_a_credit_left_booking_is_a_409_when_the_setting_is_off(
    testapp, auth_headers, family, package, dbsession, refuse
):
    buy(testapp, auth_headers, family, package)
    use_up(dbsession, family)
    res = book(testapp, auth_headers, family, expect_errors=True)
    assert res.status_int == 409
    assert res.content_type == "application/problem+json"
    assert res.json["detail"] == NO_CREDIT
    assert res.json["credits"] == 0
    assert lesson_count(dbsession, family) == 0
    assert credits(testapp, auth_headers, family.P)["balances"][0]["credits"] == 0


def test_with_a_credit_left_booking_works_and_holds_it_when_the_setting_is_off(
    testapp, auth_headers, family, package, dbsession, refuse
):
    buy(testapp, auth_headers, family, package)
    use_up(dbsession, family, amount=7)
    assert book(testapp, auth_headers, family).status_int == 201
    history = credits(testapp, auth_headers, family.P)
    assert history["balances"][0]["credits"] == 0
    assert history["items"][0]["kind"] == "credit_use"


def test_a_student_who_never_had_credits_is_not_refused(
    testapp, auth_headers, family, dbsession, refuse
):
    """Without a package in the subject the student pays otherwise (invoices, subscriptions)."""
    assert book(testapp, auth_headers, family).status_int == 201


def test_by_default_booking_without_a_credit_works_as_before(
    testapp, auth_headers, family, package, dbsession
):
    buy(testapp, auth_headers, family, package)
    use_up(dbsession, family)
    assert book(testapp, auth_headers, family).status_int == 201
    assert credits(testapp, auth_headers, family.P)["balances"][0]["credits"] == -1


def test_a_new_series_is_refused_too_without_a_credit_left(
    testapp, auth_headers, family, package, dbsession, refuse
):
    buy(testapp, auth_headers, family, package)
    use_up(dbsession, family)
    body = {
        "teacher_id": family.E.id,
        "student_id": family.S.id,
        "subject_id": family.subject.id,
        "start": start_at(days=7).isoformat(),
        "timezone": "Europe/Moscow",
        "duration_minutes": 60,
        "rrule": "FREQ=WEEKLY;COUNT=2",
    }
    res = testapp.post_json(SERIES, body, headers=auth_headers(family.E), expect_errors=True)
    assert res.status_int == 409
    assert res.json["detail"] == NO_CREDIT
    assert lesson_count(dbsession, family) == 0
