"""Users API: admin list/create, read, PATCH with protected fields, DELETE deactivates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from factories import ParentLinkFactory, UserFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.credentials.passwords import verify_password
from thebot.accounts.models import AuthToken, StudentProfile, TeacherProfile, User
from thebot.audit import AuditEvent

USERS = "/api/accounts/users/"
USER_FIELDS = {
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "phone",
    "role",
    "is_active",
    "is_staff",
    "created_at",
    "last_login",
}


@pytest.fixture(autouse=True)
def fresh_limits(app):
    """Per-user API limits must not carry over between tests (user ids repeat)."""
    reset_limits(app.registry)


def events(dbsession, action):
    return dbsession.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="root", email="root@example.com")


@pytest.fixture
def admin_headers(admin, auth_headers):
    return auth_headers(admin)


# --- create -----------------------------------------------------------------------------


def test_admin_creates_user_of_any_role_with_profile(testapp, dbsession, admin, admin_headers):
    for role in ("student", "teacher", "tutor", "parent", "admin"):
        body = {
            "email": f"  New.{role}@Example.COM ",
            "role": role,
            "username": f"New_{role}",
            "first_name": "New",
            "last_name": role.title(),
            "phone": "+7 (912) 345-67-89",
            "password": "violet-harbour-73",
        }
        res = testapp.post_json(USERS, body, headers=admin_headers, status=201)
        data = res.json
        assert set(data) == USER_FIELDS
        assert data["email"] == f"new.{role}@example.com"
        assert data["username"] == f"new_{role}"
        assert data["phone"] == "+79123456789"
        assert data["is_staff"] is (role == "admin")
        assert dt.datetime.fromisoformat(data["created_at"]).tzinfo is not None
        assert res.headers["Location"].endswith(f"{USERS}{data['id']}/")
        user = dbsession.get(User, data["id"])
        assert user.created_by_id == admin.id
        assert verify_password(user.password_hash, "violet-harbour-73")
        assert "password" not in res.text and "violet-harbour-73" not in res.text
    assert dbsession.get(StudentProfile, _id(dbsession, "new_student")) is not None
    assert dbsession.get(TeacherProfile, _id(dbsession, "new_teacher")) is not None
    assert len(events(dbsession, "account.created")) == 5


def _id(dbsession, username):
    return dbsession.scalar(select(User.id).where(User.username == username))


def test_admin_create_without_password_returns_generated_once(testapp, dbsession, admin_headers):
    body = {
        "email": "kid@example.com",
        "role": "student",
        "first_name": "Пётр",
        "last_name": "Иванов",
    }
    res = testapp.post_json(USERS, body, headers=admin_headers, status=201)
    creds = res.json["credentials"]
    assert creds["username"] == "petr.ivanov" == res.json["username"]
    assert len(creds["password"]) >= 16
    assert res.headers["Cache-Control"] == "no-store"
    user = dbsession.get(User, res.json["id"])
    assert creds["password"] not in user.password_hash
    assert verify_password(user.password_hash, creds["password"])
    event = events(dbsession, "account.created")[0]
    assert creds["password"] not in str(event.details)


def test_duplicate_email_or_username_is_409_case_insensitive(testapp, make_user, admin_headers):
    make_user("student", username="taken", email="taken@example.com")
    base = {"role": "student", "password": "violet-harbour-73"}
    res = testapp.post_json(
        USERS, {**base, "email": "TAKEN@example.com"}, headers=admin_headers, status=409
    )
    assert res.content_type == "application/problem+json"
    assert res.json["errors"][0]["name"] == "email"
    res = testapp.post_json(
        USERS,
        {**base, "email": "other@example.com", "username": "TAKEN"},
        headers=admin_headers,
        status=409,
    )
    assert res.json["errors"][0]["name"] == "username"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not-an-email", "role": "student"}, "email"),
        ({"email": "a@example.com", "role": "wizard"}, "role"),
        ({"email": "a@example.com", "role": "student", "phone": "12345"}, "phone"),
        ({"email": "a@example.com", "role": "student", "nickname": "x"}, ""),
        ({"email": "a@example.com", "role": "student", "username": "a b"}, "username"),
        ({"email": "a@example.com", "role": "student", "is_active": "maybe"}, "is_active"),
        ({"role": "student"}, "email"),
    ],
)
def test_create_user_bad_input_is_400(testapp, admin_headers, body, field):
    res = testapp.post_json(USERS, body, headers=admin_headers, status=400)
    assert res.json["type"].endswith("validation-error")
    assert field in [e["name"] for e in res.json["errors"]]


def test_create_user_weak_password_lists_violations(testapp, admin_headers):
    body = {"email": "weak@example.com", "role": "parent", "password": "12345678"}
    res = testapp.post_json(USERS, body, headers=admin_headers, status=400)
    assert res.json["errors"] and all(e["name"] == "password" for e in res.json["errors"])


def test_malformed_json_is_400(testapp, admin_headers):
    res = testapp.post(
        USERS, "{nope", headers={**admin_headers, "Content-Type": "application/json"}, status=400
    )
    assert res.content_type == "application/problem+json"


# --- list -------------------------------------------------------------------------------


def test_admin_lists_users_with_filters(testapp, make_user, admin_headers):
    make_user("teacher", username="anna.t", first_name="Anna", last_name="Teach")
    make_user("student", username="bob.s", first_name="Bob", last_name="Stu")
    make_user("student", username="carl.s", first_name="Carl", is_active=False)
    all_users = testapp.get(USERS, headers=admin_headers).json
    assert {u["username"] for u in all_users["items"]} >= {"root", "anna.t", "bob.s", "carl.s"}
    assert all_users["next_cursor"] is None
    students = testapp.get(USERS, {"role": "student"}, headers=admin_headers).json["items"]
    assert {u["username"] for u in students} == {"bob.s", "carl.s"}
    active = testapp.get(
        USERS, {"role": "student", "is_active": "true"}, headers=admin_headers
    ).json["items"]
    assert [u["username"] for u in active] == ["bob.s"]
    found = testapp.get(USERS, {"q": "ANNA"}, headers=admin_headers).json["items"]
    assert [u["username"] for u in found] == ["anna.t"]
    assert testapp.get(USERS, {"q": "%"}, headers=admin_headers).json["items"] == []


def test_users_list_is_cursor_paginated(testapp, make_user, admin_headers):
    for i in range(5):
        make_user("parent", username=f"pp{i}")
    first = testapp.get(USERS, {"role": "parent", "limit": 2}, headers=admin_headers)
    assert len(first.json["items"]) == 2 and first.json["next_cursor"]
    assert 'rel="next"' in first.headers["Link"]
    seen = [u["id"] for u in first.json["items"]]
    cursor = first.json["next_cursor"]
    while cursor:
        page = testapp.get(
            USERS, {"role": "parent", "limit": 2, "cursor": cursor}, headers=admin_headers
        ).json
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    "query", [{"limit": 0}, {"limit": 201}, {"cursor": "!!"}, {"sort": "x"}, {"role": "x"}]
)
def test_users_list_bad_query_is_400(testapp, admin_headers, query):
    testapp.get(USERS, query, headers=admin_headers, status=400)


def test_users_list_query_count_does_not_grow(
    testapp, make_user, admin_headers, queries_for_1_and_30
):
    query = {"role": "student", "limit": 200}

    def add(n):
        for _ in range(n):
            make_user("student")

    queries_for_1_and_30(
        add, lambda: testapp.get(USERS, query, headers=admin_headers).json["items"]
    )


def test_non_admins_cannot_list_or_create_users(testapp, make_user, auth_headers):
    for role in ("student", "teacher", "tutor", "parent"):
        headers = auth_headers(make_user(role))
        testapp.get(USERS, headers=headers, status=403)
        testapp.post_json(
            USERS, {"email": "x@example.com", "role": "admin"}, headers=headers, status=403
        )
    res = testapp.get(USERS, status=401)
    assert res.headers["WWW-Authenticate"] == "Token"


# --- read -------------------------------------------------------------------------------


def test_user_json_never_contains_password_hash(testapp, make_user, admin_headers):
    user = make_user("teacher", password_hash="$argon2id$secret")
    res = testapp.get(f"{USERS}{user.id}/", headers=admin_headers)
    assert set(res.json) == USER_FIELDS
    assert "argon2" not in res.text


def test_get_user_etag_and_304(testapp, make_user, admin_headers):
    user = make_user("teacher")
    res = testapp.get(f"{USERS}{user.id}/", headers=admin_headers)
    etag = res.headers["ETag"]
    testapp.get(f"{USERS}{user.id}/", headers={**admin_headers, "If-None-Match": etag}, status=304)


def test_unknown_or_malformed_user_id_is_404(testapp, admin_headers):
    testapp.get(f"{USERS}999999/", headers=admin_headers, status=404)
    testapp.get(f"{USERS}abc/", headers=admin_headers, status=404)
    testapp.get(f"{USERS}0/", headers=admin_headers, status=404)


def test_anonymous_gets_401_for_existing_and_missing_users(testapp, make_user):
    user = make_user("student")
    for path in (f"{USERS}{user.id}/", f"{USERS}999999/"):
        assert testapp.get(path, status=401).headers["WWW-Authenticate"] == "Token"


# --- update -----------------------------------------------------------------------------


def test_user_updates_own_names_and_phone(testapp, dbsession, make_user, auth_headers):
    user = make_user("student")
    res = testapp.patch_json(
        f"{USERS}{user.id}/",
        {"first_name": "Ann", "phone": "+44 20 7946 0958"},
        headers=auth_headers(user),
    )
    assert res.json["first_name"] == "Ann" and res.json["phone"] == "+442079460958"
    event = events(dbsession, "account.updated")[0]
    assert event.details["fields"] == ["first_name", "phone"] and event.actor_id == user.id
    res = testapp.patch_json(f"{USERS}{user.id}/", {"phone": None}, headers=auth_headers(user))
    assert res.json["phone"] is None


@pytest.mark.parametrize(
    "field, value",
    [
        ("role", "admin"),
        ("email", "new@example.com"),
        ("is_active", False),
        ("password", "x" * 12),
    ],
)
def test_non_admin_touching_protected_field_is_403_and_audited(
    testapp, dbsession, make_user, auth_headers, field, value
):
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    res = testapp.patch_json(
        f"{USERS}{student.id}/",
        {"first_name": "Changed", field: value},
        headers=auth_headers(tutor),
        status=403,
    )
    assert res.json["type"].endswith("permission-denied")
    dbsession.expire_all()
    assert dbsession.get(User, student.id).first_name != "Changed"
    [event] = events(dbsession, "account.protected_field_denied")
    assert event.actor_id == tutor.id and event.target_id == str(student.id)
    assert event.details["fields"] == [field]


def test_student_cannot_promote_self(testapp, dbsession, make_user, auth_headers):
    student = make_user("student")
    testapp.patch_json(
        f"{USERS}{student.id}/", {"role": "admin"}, headers=auth_headers(student), status=403
    )
    assert len(events(dbsession, "account.protected_field_denied")) == 1


def test_admin_changes_role_and_staff_follows(testapp, dbsession, make_user, admin_headers):
    user = make_user("teacher")
    res = testapp.patch_json(f"{USERS}{user.id}/", {"role": "admin"}, headers=admin_headers)
    assert res.json["role"] == "admin" and res.json["is_staff"] is True
    res = testapp.patch_json(f"{USERS}{user.id}/", {"role": "tutor"}, headers=admin_headers)
    assert res.json["role"] == "tutor" and res.json["is_staff"] is False
    event = events(dbsession, "account.updated")[-1]
    assert event.details["role_from"] == "admin" and event.details["role_to"] == "tutor"


def test_role_change_blocked_while_relationships_exist(testapp, make_user, admin_headers):
    student = make_user("student")
    ParentLinkFactory(student=student, parent=make_user("parent"))
    res = testapp.patch_json(
        f"{USERS}{student.id}/", {"role": "teacher"}, headers=admin_headers, status=409
    )
    assert res.json["errors"][0]["name"] == "role"


def test_admin_cannot_demote_or_deactivate_self(testapp, admin, admin_headers):
    testapp.patch_json(f"{USERS}{admin.id}/", {"role": "tutor"}, headers=admin_headers, status=409)
    testapp.patch_json(
        f"{USERS}{admin.id}/", {"is_active": False}, headers=admin_headers, status=409
    )
    testapp.delete(f"{USERS}{admin.id}/", headers=admin_headers, status=409)


def test_admin_changes_email_to_duplicate_is_409(testapp, make_user, admin_headers):
    make_user("parent", email="mum@example.com")
    user = make_user("parent")
    testapp.patch_json(
        f"{USERS}{user.id}/", {"email": "MUM@example.com"}, headers=admin_headers, status=409
    )


def test_admin_sets_password_which_revokes_tokens(
    testapp, dbsession, make_user, admin_headers, auth_headers
):
    user = make_user("parent")
    user_headers = auth_headers(user)
    res = testapp.patch_json(
        f"{USERS}{user.id}/", {"password": "copper-lantern-49"}, headers=admin_headers
    )
    assert "password" not in res.json
    dbsession.expire_all()
    assert verify_password(dbsession.get(User, user.id).password_hash, "copper-lantern-49")
    testapp.get(f"{USERS}{user.id}/", headers=user_headers, status=401)
    bad = testapp.patch_json(
        f"{USERS}{user.id}/", {"password": "password"}, headers=admin_headers, status=400
    )
    assert bad.json["errors"][0]["name"] == "password"


def test_stale_if_match_is_412(testapp, make_user, admin_headers):
    user = make_user("parent")
    etag = testapp.get(f"{USERS}{user.id}/", headers=admin_headers).headers["ETag"]
    testapp.patch_json(
        f"{USERS}{user.id}/", {"first_name": "A"}, headers={**admin_headers, "If-Match": etag}
    )
    testapp.patch_json(
        f"{USERS}{user.id}/",
        {"first_name": "B"},
        headers={**admin_headers, "If-Match": etag},
        status=412,
    )


def test_patch_unknown_field_is_400(testapp, make_user, auth_headers):
    user = make_user("student")
    testapp.patch_json(
        f"{USERS}{user.id}/", {"is_staff": True}, headers=auth_headers(user), status=400
    )


# --- deactivate -------------------------------------------------------------------------


def test_delete_deactivates_and_revokes_tokens(
    testapp, dbsession, make_user, admin_headers, auth_headers
):
    user = make_user("teacher")
    user_headers = auth_headers(user)
    testapp.get(f"{USERS}{user.id}/", headers=user_headers, status=200)
    testapp.delete(f"{USERS}{user.id}/", headers=admin_headers, status=204)
    dbsession.expire_all()
    assert dbsession.get(User, user.id).is_active is False
    tokens = dbsession.scalars(select(AuthToken).where(AuthToken.user_id == user.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    testapp.get(f"{USERS}{user.id}/", headers=user_headers, status=401)
    assert len(events(dbsession, "account.deactivated")) == 1
    # Still listed for admins, as inactive.
    res = testapp.get(USERS, {"is_active": "false"}, headers=admin_headers)
    assert user.id in [u["id"] for u in res.json["items"]]


def test_non_admin_cannot_delete_visible_user(testapp, make_user, auth_headers):
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    testapp.delete(f"{USERS}{student.id}/", headers=auth_headers(tutor), status=403)
    testapp.delete(f"{USERS}{student.id}/", headers=auth_headers(student), status=403)


def test_user_factory_is_usable_without_profile(testapp, admin_headers):
    # A user created outside the API (no profile row) still renders everywhere.
    user = UserFactory(role="tutor")
    res = testapp.get(f"{USERS}{user.id}/profile/", headers=admin_headers)
    assert res.json == {
        "user_id": user.id,
        "role": "tutor",
        "specialization": "",
        "experience_years": 0,
        "bio": "",
        "subjects": [],
    }
