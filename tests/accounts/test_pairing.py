"""Parent pairing codes: who creates them, single use, 24 h, hashed, rate-limited redemption."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from sqlalchemy import select

from factories import ParentLinkFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.models import PairingCode, ParentLink
from thebot.accounts.relationships.service import INVALID_CODE, PAIRING_ALPHABET
from thebot.audit import AuditEvent
from thebot.db import utcnow

CODES = "/api/accounts/pairing-codes/"
REDEEM = "/api/accounts/pairing-codes/redeem/"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)
    yield
    reset_limits(app.registry)


@pytest.fixture
def tutor(make_user):
    return make_user("tutor")


@pytest.fixture
def student(make_user, tutor):
    return make_user("student", profile={"tutor_id": tutor.id})


def linked(dbsession, student, parent):
    return dbsession.scalar(
        select(ParentLink).where(
            ParentLink.student_id == student.id, ParentLink.parent_id == parent.id
        )
    )


def test_student_creates_code_parent_redeems_it(
    testapp, dbsession, student, make_user, auth_headers
):
    res = testapp.post_json(CODES, {}, headers=auth_headers(student), status=201)
    code = res.json["code"]
    assert len(code) == 8 and set(code) <= set(PAIRING_ALPHABET)
    assert res.json["student_id"] == student.id
    expires = dt.datetime.fromisoformat(res.json["expires_at"])
    assert dt.timedelta(hours=23, minutes=59) < expires - utcnow() <= dt.timedelta(hours=24)
    assert res.headers["Cache-Control"] == "no-store"
    row = dbsession.scalar(select(PairingCode).where(PairingCode.student_id == student.id))
    assert row.code_hash == hashlib.sha256(code.encode()).hexdigest()

    parent = make_user("parent")
    # Lower case and a separator are accepted: people type codes.
    res = testapp.post_json(
        REDEEM,
        {"code": f"{code[:4].lower()}-{code[4:]}"},
        headers=auth_headers(parent),
        status=201,
    )
    assert res.json["child"]["id"] == student.id
    assert linked(dbsession, student, parent) is not None
    dbsession.expire_all()
    row = dbsession.get(PairingCode, row.id)
    assert row.used_at is not None and row.used_by_id == parent.id
    actions = set(dbsession.scalars(select(AuditEvent.action)))
    assert {"pairing_code.created", "pairing_code.redeemed", "parent_link.created"} <= actions
    assert code not in str(dbsession.scalars(select(AuditEvent.details)).all())
    # The parent now sees the child.
    testapp.get(f"/api/accounts/users/{student.id}/", headers=auth_headers(parent), status=200)


def test_tutor_and_admin_create_codes_for_a_student(
    testapp, student, tutor, make_user, auth_headers
):
    for caller in (tutor, make_user("admin")):
        res = testapp.post_json(
            CODES, {"student_id": student.id}, headers=auth_headers(caller), status=201
        )
        assert res.json["student_id"] == student.id


def test_tutor_must_name_the_student(testapp, tutor, auth_headers):
    res = testapp.post_json(CODES, {}, headers=auth_headers(tutor), status=400)
    assert res.json["errors"][0]["name"] == "student_id"


def test_codes_for_other_students_are_refused(testapp, student, tutor, make_user, auth_headers):
    other_tutor = make_user("tutor")
    stranger = make_user("student")
    # Invisible or unknown student: the same 400.
    for caller, target in ((other_tutor, student.id), (stranger, student.id), (tutor, 999999)):
        res = testapp.post_json(
            CODES, {"student_id": target}, headers=auth_headers(caller), status=400
        )
        assert res.json["errors"][0]["name"] == "student_id"
    # The student's tutor cannot have a code made for a visible non-student (a parent).
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    testapp.post_json(CODES, {"student_id": parent.id}, headers=auth_headers(tutor), status=403)


def test_parents_and_teachers_cannot_create_codes(testapp, student, make_user, auth_headers):
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    for caller in (parent, make_user("teacher")):
        testapp.post_json(
            CODES, {"student_id": student.id}, headers=auth_headers(caller), status=403
        )
    testapp.post_json(CODES, {}, status=401)


def test_used_expired_and_wrong_codes_get_the_same_400(
    testapp, dbsession, student, make_user, auth_headers
):
    headers = auth_headers(student)
    used = testapp.post_json(CODES, {}, headers=headers).json["code"]
    first_parent, second_parent = make_user("parent"), make_user("parent")
    testapp.post_json(REDEEM, {"code": used}, headers=auth_headers(first_parent), status=201)
    expired = testapp.post_json(CODES, {}, headers=headers).json["code"]
    bodies = []
    with time_machine.travel(utcnow() + dt.timedelta(hours=24, seconds=1)):
        for code in (used, expired, "ABCDEFGH", "short", "!!!!!!!!"):
            res = testapp.post_json(
                REDEEM, {"code": code}, headers=auth_headers(second_parent), status=400
            )
            bodies.append((res.json["detail"], res.json["errors"]))
    assert all(
        body == (INVALID_CODE, [{"location": "body", "name": "code", "description": INVALID_CODE}])
        for body in bodies
    )
    assert linked(dbsession, student, second_parent) is None


def test_code_still_valid_just_before_expiry(testapp, dbsession, student, make_user, auth_headers):
    code = testapp.post_json(CODES, {}, headers=auth_headers(student)).json["code"]
    parent = make_user("parent")
    with time_machine.travel(utcnow() + dt.timedelta(hours=23, minutes=59)):
        testapp.post_json(REDEEM, {"code": code}, headers=auth_headers(parent), status=201)


def test_redeeming_when_already_linked_is_200(testapp, student, make_user, auth_headers):
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    code = testapp.post_json(CODES, {}, headers=auth_headers(student)).json["code"]
    res = testapp.post_json(REDEEM, {"code": code}, headers=auth_headers(parent), status=200)
    assert res.json["child"]["id"] == student.id


def test_only_parents_redeem(testapp, student, make_user, auth_headers):
    code = testapp.post_json(CODES, {}, headers=auth_headers(student)).json["code"]
    for role in ("student", "teacher", "tutor", "admin"):
        testapp.post_json(
            REDEEM, {"code": code}, headers=auth_headers(make_user(role)), status=403
        )
    testapp.post_json(REDEEM, {"code": code}, status=401)


def test_redeem_body_is_validated(testapp, make_user, auth_headers):
    headers = auth_headers(make_user("parent"))
    testapp.post_json(REDEEM, {}, headers=headers, status=400)
    testapp.post_json(REDEEM, {"code": 12345678}, headers=headers, status=400)
    testapp.post_json(REDEEM, {"code": "ABCDEFGH", "x": 1}, headers=headers, status=400)


def test_redemption_attempts_are_rate_limited(
    testapp, dbsession, student, make_user, auth_headers
):
    parent = make_user("parent")
    headers = auth_headers(parent)
    for _ in range(5):
        testapp.post_json(REDEEM, {"code": "WRONGCDE"}, headers=headers, status=400)
    res = testapp.post_json(REDEEM, {"code": "WRONGCDE"}, headers=headers, status=429)
    assert int(res.headers["Retry-After"]) >= 1
    # Even a good code waits until the window passes.
    code = testapp.post_json(CODES, {}, headers=auth_headers(student)).json["code"]
    testapp.post_json(REDEEM, {"code": code}, headers=headers, status=429)
    assert linked(dbsession, student, parent) is None
    # Another parent (another key) is not affected.
    other = make_user("parent")
    testapp.post_json(REDEEM, {"code": code}, headers=auth_headers(other), status=201)
