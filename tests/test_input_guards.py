"""Hostile input is a clear 400/404, never a database error: NUL characters, forged
cursors, ids beyond the 32-bit id columns."""

from __future__ import annotations

import base64
import json

import pytest


def cursor_of(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_nul_in_a_json_body_is_400(testapp):
    response = testapp.post_json("/api/test/echo/", {"name": "a\x00b"}, status=400)
    assert response.json["errors"][0]["description"] == "NUL characters are not allowed"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("where", ['{{"name": {n}}}', '{{"name": [1, {{"y": {n}}}]}}'])
def test_nan_and_infinity_in_a_json_body_are_400(testapp, number, where):
    """Python's JSON parser reads them; they are not JSON and JSONB refuses them."""
    body = where.format(n=number)
    response = testapp.post("/api/test/echo/", body, content_type="application/json", status=400)
    assert response.json["errors"][0] == {
        "location": "body",
        "name": "name",
        "description": "NaN and Infinity are not JSON numbers",
    }


def test_nan_as_the_whole_body_is_400(testapp):
    testapp.post("/api/test/echo/", "NaN", content_type="application/json", status=400)


def test_nul_in_a_query_string_is_400(testapp, make_user, auth_headers):
    admin = make_user("admin")
    testapp.get("/api/accounts/users/?q=a%00b", headers=auth_headers(admin), status=400)


@pytest.mark.parametrize(
    "values",
    [["x"], [2**40], [True], [None], [1, 2, 3], "not-a-list", [{"a": 1}]],
)
def test_forged_cursor_is_400(testapp, make_user, auth_headers, values):
    admin = make_user("admin")
    cursor = cursor_of(values) if not isinstance(values, str) else values
    response = testapp.get(
        "/api/accounts/users/", {"cursor": cursor}, headers=auth_headers(admin), status=400
    )
    assert response.json["type"].endswith("validation-error")


@pytest.mark.parametrize("user_id", ["2147483648", "100000000000", "99999999999999999999"])
def test_ids_beyond_the_id_columns_are_404(testapp, make_user, auth_headers, user_id):
    admin = make_user("admin")
    testapp.get(f"/api/accounts/users/{user_id}/", headers=auth_headers(admin), status=404)


def test_id_beyond_the_id_columns_in_a_body_is_400(testapp, make_user, auth_headers):
    admin = make_user("admin")
    student = make_user("student")
    testapp.post_json(
        f"/api/accounts/users/{student.id}/parents/",
        {"parent_id": 2**40},
        headers=auth_headers(admin),
        status=400,
    )
