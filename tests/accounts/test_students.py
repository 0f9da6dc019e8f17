"""A tutor's students: create student + parent with one-time credentials, list own students."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from factories import ParentLinkFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.credentials.passwords import verify_password
from thebot.accounts.models import ParentLink, StudentProfile, User
from thebot.accounts.users.usernames import transliterate, username_base
from thebot.audit import AuditEvent

STUDENTS = "/api/accounts/students/"


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def tutor(make_user):
    return make_user("tutor")


def new_student(**overrides):
    body = {
        "student": {
            "first_name": "Иван",
            "last_name": "Петров",
            "email": "ivan@example.com",
            "grade": 8,
            "goal": "Olympiad",
        },
        "parent": {"first_name": "Мария", "last_name": "Петрова", "email": "maria@example.com"},
    }
    body.update(overrides)
    return body


def test_tutor_creates_student_and_parent_with_one_time_credentials(
    testapp, dbsession, tutor, auth_headers, caplog
):
    caplog.set_level(logging.DEBUG)
    res = testapp.post_json(STUDENTS, new_student(), headers=auth_headers(tutor), status=201)
    data = res.json
    assert res.headers["Cache-Control"] == "no-store"
    student, parent = data["student"], data["parent"]
    assert student["username"] == "ivan.petrov" and student["role"] == "student"
    assert parent["username"] == "mariya.petrova" and parent["role"] == "parent"
    assert student["profile"]["tutor"]["id"] == tutor.id
    assert student["profile"]["grade"] == 8 and student["profile"]["goal"] == "Olympiad"
    assert [p["id"] for p in student["profile"]["parents"]] == [parent["id"]]
    creds = {c["role"]: c for c in data["credentials"]}
    assert set(creds) == {"student", "parent"}
    dbsession.expire_all()
    for role, user_id in (("student", student["id"]), ("parent", parent["id"])):
        user = dbsession.get(User, user_id)
        assert creds[role]["username"] == user.username and creds[role]["user_id"] == user.id
        password = creds[role]["password"]
        assert len(password) >= 16 and password not in user.password_hash
        assert verify_password(user.password_hash, password)
        assert user.created_by_id == tutor.id
        # Never logged, never audited.
        assert all(password not in record.getMessage() for record in caplog.records)
    assert dbsession.get(StudentProfile, student["id"]).tutor_id == tutor.id
    actions = sorted(
        dbsession.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == tutor.id))
    )
    assert actions == ["account.created", "account.created", "parent_link.created"]
    details = str(dbsession.scalars(select(AuditEvent.details)).all())
    assert creds["student"]["password"] not in details


def test_the_credentials_are_not_shown_again(testapp, tutor, auth_headers):
    headers = auth_headers(tutor)
    created = testapp.post_json(STUDENTS, new_student(), headers=headers, status=201).json
    listing = testapp.get(STUDENTS, headers=headers)
    assert created["credentials"][0]["password"] not in listing.text
    again = testapp.get(f"/api/accounts/users/{created['student']['id']}/", headers=headers)
    assert "password" not in again.text


def test_usernames_are_unique_with_numeric_suffix(testapp, tutor, auth_headers, make_user):
    make_user("student", username="ivan.petrov")
    body = new_student(parent_id=None)
    del body["parent_id"], body["parent"]
    res = testapp.post_json(STUDENTS, body, headers=auth_headers(tutor), status=201)
    assert res.json["student"]["username"] == "ivan.petrov2"
    assert res.json["parent"] is None and len(res.json["credentials"]) == 1
    body["student"] = {**body["student"], "email": "ivan2@example.com"}
    res = testapp.post_json(STUDENTS, body, headers=auth_headers(tutor), status=201)
    assert res.json["student"]["username"] == "ivan.petrov3"


def test_username_derivation():
    assert transliterate("Щукина Юлия") == "shchukina yuliya"
    assert transliterate("José Ñúñez Straße") == "jose nunez strasse"
    assert username_base("Łukasz", "Żółć") == "lukasz.zolc"
    assert username_base("李", "", fallback="li.wei@example.com") == "li.wei.example.com"
    assert username_base("", "", fallback="") == "user"


def test_tutor_links_existing_parent_of_another_own_student(
    testapp, dbsession, tutor, make_user, auth_headers
):
    sibling = make_user("student", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    ParentLinkFactory(student=sibling, parent=parent)
    body = new_student(parent_id=parent.id)
    del body["parent"]
    res = testapp.post_json(STUDENTS, body, headers=auth_headers(tutor), status=201)
    assert res.json["parent"]["id"] == parent.id
    assert [c["role"] for c in res.json["credentials"]] == ["student"]
    link = dbsession.scalar(
        select(ParentLink).where(ParentLink.student_id == res.json["student"]["id"])
    )
    assert link.parent_id == parent.id and link.created_by_id == tutor.id


def test_tutor_cannot_link_a_parent_they_cannot_see(testapp, tutor, make_user, auth_headers):
    stranger = make_user("parent")
    not_a_parent = make_user("teacher")
    for parent_id in (stranger.id, not_a_parent.id, 999999):
        body = new_student(parent_id=parent_id)
        del body["parent"]
        res = testapp.post_json(STUDENTS, body, headers=auth_headers(tutor), status=400)
        assert res.json["errors"][0]["name"] == "parent_id"


def test_new_and_existing_parent_together_is_400(testapp, tutor, auth_headers):
    res = testapp.post_json(
        STUDENTS, new_student(parent_id=1), headers=auth_headers(tutor), status=400
    )
    assert "parent_id" in [e["name"] for e in res.json["errors"]]


def test_duplicate_parent_email_is_409_and_creates_nothing(
    testapp, dbsession, tutor, make_user, auth_headers
):
    make_user("parent", email="maria@example.com")
    res = testapp.post_json(STUDENTS, new_student(), headers=auth_headers(tutor), status=409)
    assert res.json["errors"][0]["name"] == "email"
    assert dbsession.scalar(select(User).where(User.email == "ivan@example.com")) is None


@pytest.mark.parametrize(
    "change",
    [
        {"student": {"first_name": "A", "last_name": "B"}},
        {"student": {"first_name": "", "last_name": "B", "email": "a@example.com"}},
        {"parent": {"first_name": "A", "last_name": "B", "email": "nope"}},
        {"extra": True},
    ],
)
def test_bad_student_bodies_are_400(testapp, tutor, auth_headers, change):
    testapp.post_json(STUDENTS, new_student(**change), headers=auth_headers(tutor), status=400)


def test_tutor_lists_only_own_students(testapp, tutor, make_user, auth_headers):
    mine = [make_user("student", profile={"tutor_id": tutor.id}) for _ in range(3)]
    other_tutor = make_user("tutor")
    make_user("student", profile={"tutor_id": other_tutor.id})
    make_user("student")
    headers = auth_headers(tutor)
    page = testapp.get(STUDENTS, {"limit": 2}, headers=headers).json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = testapp.get(STUDENTS, {"cursor": page["next_cursor"]}, headers=headers).json
    ids = [s["id"] for s in page["items"] + rest["items"]]
    assert ids == [s.id for s in mine]
    assert page["items"][0]["profile"]["tutor"]["id"] == tutor.id


def test_students_list_query_count_is_constant(
    testapp, tutor, make_user, auth_headers, queries_for_1_and_30
):
    headers = auth_headers(tutor)

    def add(n):
        for _ in range(n):
            student = make_user("student", profile={"tutor_id": tutor.id})
            ParentLinkFactory(student=student, parent=make_user("parent"))

    queries_for_1_and_30(add, lambda: testapp.get(STUDENTS, headers=headers).json["items"])


def test_only_tutors_manage_students(testapp, make_user, auth_headers):
    for role in ("admin", "teacher", "parent", "student"):
        headers = auth_headers(make_user(role))
        testapp.get(STUDENTS, headers=headers, status=403)
        testapp.post_json(STUDENTS, new_student(), headers=headers, status=403)
    testapp.get(STUDENTS, status=401)
