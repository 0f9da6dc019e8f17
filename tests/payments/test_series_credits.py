"""Credits follow the lessons of a recurring series too: series changes record one
``SeriesChanged`` (no per-lesson ``LessonChanged``), and payments subscribes to it."""

from __future__ import annotations

from sqlalchemy import func, select
from test_booking_guard import NO_CREDIT, SERIES, refuse, start_at, use_up  # noqa: F401
from test_packages import buy, credits, package  # noqa: F401

from thebot.payments.ledger.models import Kind, LedgerEntry
from thebot.scheduling.lessons import states
from thebot.scheduling.models import Lesson


def series_body(family, count=3):
    return {
        "teacher_id": family.E.id,
        "student_id": family.S.id,
        "subject_id": family.subject.id,
        "start": start_at(days=7).isoformat(),
        "timezone": "Europe/Moscow",
        "duration_minutes": 60,
        "rrule": f"FREQ=WEEKLY;COUNT={count}",
    }


def balance(testapp, auth_headers, family):
    return credits(testapp, auth_headers, family.P)["balances"][0]["credits"]


def uses(dbsession, lesson_id, kind=Kind.CREDIT_USE):
    return dbsession.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.lesson_id == lesson_id, LedgerEntry.kind == kind.value)
    )


def test_series_lessons_hold_credits_cancelling_returns_them_completing_uses_once(
    testapp, auth_headers, family, package, dbsession
):
    buy(testapp, auth_headers, family, package)
    made = testapp.post_json(SERIES, series_body(family), headers=auth_headers(family.E)).json
    series_id = made["id"]
    lesson_ids = sorted(dbsession.scalars(select(Lesson.id).where(Lesson.series_id == series_id)))
    assert len(lesson_ids) == 3
    assert balance(testapp, auth_headers, family) == 5  # 8 bought, 3 held
    first, second, third = lesson_ids
    testapp.delete(
        f"{SERIES}{series_id}/?scope=this&lesson_id={second}", headers=auth_headers(family.E)
    )
    assert balance(testapp, auth_headers, family) == 6
    assert uses(dbsession, second, Kind.CREDIT_RETURN) == 1
    lesson = dbsession.get(Lesson, first)
    states.confirm(dbsession, family.E, lesson)
    states.complete(dbsession, family.E, lesson, lesson.end_at)
    dbsession.flush()
    assert uses(dbsession, first) == 1  # the held credit is the one used: once
    assert balance(testapp, auth_headers, family) == 6
    testapp.delete(f"{SERIES}{series_id}/?scope=all", headers=auth_headers(family.E))
    assert balance(testapp, auth_headers, family) == 7  # the third returned, the first used
    assert uses(dbsession, third, Kind.CREDIT_RETURN) == 1
    assert uses(dbsession, first, Kind.CREDIT_RETURN) == 0


def test_a_series_change_that_adds_an_occurrence_holds_its_credit(
    testapp, auth_headers, family, package, dbsession
):
    buy(testapp, auth_headers, family, package)
    made = testapp.post_json(SERIES, series_body(family), headers=auth_headers(family.E)).json
    series_id = made["id"]
    testapp.patch_json(
        f"{SERIES}{series_id}/",
        {"scope": "all", "rrule": "FREQ=WEEKLY;COUNT=4"},
        headers=auth_headers(family.E),
    )
    assert balance(testapp, auth_headers, family) == 4


def test_a_series_needs_a_credit_for_each_occurrence_when_the_setting_is_off(
    testapp, auth_headers, family, package, dbsession, refuse
):
    buy(testapp, auth_headers, family, package)
    use_up(dbsession, family, amount=6)  # 2 left
    res = testapp.post_json(
        SERIES, series_body(family, count=3), headers=auth_headers(family.E), expect_errors=True
    )
    assert res.status_int == 409
    assert res.json["detail"] == NO_CREDIT
    assert dbsession.scalar(select(func.count()).select_from(Lesson)) == 0
    assert balance(testapp, auth_headers, family) == 2
    ok = testapp.post_json(SERIES, series_body(family, count=2), headers=auth_headers(family.E))
    assert ok.status_int == 201
    assert balance(testapp, auth_headers, family) == 0
