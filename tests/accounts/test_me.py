"""GET /api/auth/me/ and GET /api/auth/csrf/."""

from __future__ import annotations

from factories import ParentLinkFactory


def test_me_needs_authentication(testapp):
    response = testapp.get("/api/auth/me/", status=401)
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.content_type == "application/problem+json"


def test_me_returns_a_student_with_profile(testapp, make_user, auth_headers):
    tutor = make_user("tutor", username="tutor1")
    student = make_user(
        "student", username="kid", profile={"tutor": tutor, "grade": 9, "goal": "Olympiad"}
    )
    parent = make_user("parent", username="mum")
    ParentLinkFactory(student=student, parent=parent)
    body = testapp.get("/api/auth/me/", headers=auth_headers(student)).json
    assert body["id"] == student.id and body["role"] == "student" and body["username"] == "kid"
    profile = body["profile"]
    assert profile["grade"] == 9 and profile["goal"] == "Olympiad"
    assert profile["tutor"]["id"] == tutor.id
    assert [p["id"] for p in profile["parents"]] == [parent.id]
    assert {"progress_percent", "streak_days", "points", "accuracy_percent"} <= set(
        profile["stats"]
    )
    assert "password_hash" not in body


def test_me_for_each_other_role(testapp, make_user, auth_headers):
    parent = make_user("parent")
    child = make_user("student")
    ParentLinkFactory(student=child, parent=parent)
    children = testapp.get("/api/auth/me/", headers=auth_headers(parent)).json["profile"][
        "children"
    ]
    assert [(c["id"], c["username"], c["role"]) for c in children] == [
        (child.id, child.username, "student")
    ]
    teacher = testapp.get("/api/auth/me/", headers=auth_headers(make_user("teacher"))).json
    assert (
        teacher["profile"]["experience_years"] == 5
        and teacher["profile"]["bio"] == "Teaches well."
    )
    tutor = testapp.get("/api/auth/me/", headers=auth_headers(make_user("tutor"))).json
    assert tutor["profile"]["specialization"] == "Exam preparation"
    admin = testapp.get("/api/auth/me/", headers=auth_headers(make_user("admin"))).json
    assert admin["role"] == "admin" and admin["is_staff"] is True
    assert admin["profile"] == {"user_id": admin["id"], "role": "admin"}


def test_me_rejects_unknown_query_parameters(testapp, make_user, auth_headers):
    testapp.get("/api/auth/me/?x=1", headers=auth_headers(make_user("student")), status=400)


def test_csrf_for_token_callers_is_null(testapp, make_user, auth_headers):
    assert testapp.get("/api/auth/csrf/", headers=auth_headers(make_user("student"))).json == {
        "csrf_token": None
    }


def test_auth_endpoints_describe_themselves_in_openapi(testapp):
    paths = testapp.get("/api/openapi.json").json["paths"]
    for path in ("login", "logout", "refresh", "me", "csrf", "change-password", "password-reset"):
        assert f"/api/auth/{path}/" in paths
    login = paths["/api/auth/login/"]["post"]
    assert "200" in login["responses"] and login["tags"] == ["auth"]
    assert login["security"] == []
    assert "/api/auth/password-reset/confirm/" in paths
