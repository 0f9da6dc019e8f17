"""Malformed input is a 400 problem+json naming what is wrong, never a 500: checked where it
enters (the path, the query string, the JSON body, the shared id and date-time types), and
for every route or schema field of the kind, not for one URL."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from types import SimpleNamespace

import colander
import pytest
from cornice.errors import Errors
from cornice.service import get_services

import support_views
from factories import SubjectFactory, TeacherSubjectFactory
from thebot.api import ApiService, reject_stray_files, validate
from thebot.schemas import MAX_ID, RFC3339DateTime, Uploads, parse_rfc3339
from thebot.settings import FEATURES


def import_every_service() -> None:
    """What the app's scan imports: every module of every feature (services register on
    import), so the walks below see every service at collection time."""
    for feature in FEATURES:
        package = importlib.import_module(feature)
        for module in pkgutil.walk_packages(package.__path__, f"{feature}."):
            importlib.import_module(module.name)
    assert support_views.echo in get_services()


import_every_service()

PROBLEM = "application/problem+json"
HUGE_ID = "99999999999999999999"  # beyond every integer column, and beyond 64 bits
OVERFLOWING = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]


def assert_400(response, location, name=None):
    """400 problem+json with the request id, and a field error at ``location`` (``name``)."""
    assert response.status_int == 400, response.body
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == 400 and body["request_id"] == response.headers["X-Request-ID"]
    places = {(e["location"], e["name"]) for e in body["errors"]}
    assert any(loc == location and (name is None or n == name) for loc, n in places), body
    return body


@pytest.fixture
def admin_headers(make_user, auth_headers):
    return auth_headers(make_user("admin"))


# --- the path -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/%ff",
        "/api/%ff/",
        "/media/%c0%ae%c0%ae/x",  # overlong "..": not UTF-8, never a traversal
        "/api/accounts/users/%ed%a0%80/",  # an encoded surrogate is not UTF-8 either
        "/static/%80.css",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_a_path_that_is_not_utf8_text_is_400(testapp, admin_headers, path, method):
    for headers in ({}, admin_headers):  # anonymous too: it is refused before anything else
        response = getattr(testapp, method)(path, headers=headers, status=400)
        assert_400(response, "path")


# --- the query string -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name"),
    [("q=%ff", "q"), ("q=ok&q=%c0%ae", "q"), ("%ff=1", "\ufffd"), ("role=student;q=%e2%82", "q")],
)
@pytest.mark.parametrize(
    "path", ["/api/accounts/users/", "/api/nope/", "/media/x.png", "/api/system/status-page/"]
)
def test_a_query_string_that_is_not_utf8_is_400_naming_the_parameter(
    testapp, admin_headers, path, query, name
):
    assert_400(
        testapp.get(f"{path}?{query}", headers=admin_headers, status=400), "querystring", name
    )


# --- the JSON body ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ('{"name": "\\ud800"}', "name"),
        ('{"name": "ok\\udfff"}', "name"),
        ('{"name": ["\\udc00"]}', "name"),
        ('{"\\ud800": "x"}', "\ud800"),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_400(testapp, body, name):
    """JSON's ``\\ud800`` escape decodes to no Unicode character: it cannot be encoded for
    the database, a password hash or the response."""
    response = testapp.post("/api/test/echo/", body, content_type="application/json", status=400)
    error = assert_400(response, "body", name)["errors"][0]
    assert "surrogate" in error["description"]


def test_a_paired_surrogate_escape_is_one_character_and_welcome(testapp):
    response = testapp.post(
        "/api/test/echo/", '{"name": "\\ud83d\\ude00"}', content_type="application/json"
    )
    assert response.json["name"] == "\U0001f600"


@pytest.mark.parametrize("field", ["login", "password"])
def test_a_lone_surrogate_in_a_login_is_400(testapp, field):
    body = {"login": "someone", "password": "secret"}
    raw = json.dumps(body).replace('"secret"' if field == "password" else '"someone"', '"\\ud800"')
    response = testapp.post("/api/auth/login/", raw, content_type="application/json", status=400)
    assert_400(response, "body", field)


def test_a_lone_surrogate_in_a_stored_text_field_is_400(testapp, make_user, auth_headers):
    user = make_user("teacher")
    response = testapp.patch(
        f"/api/accounts/users/{user.id}/profile/",
        '{"bio": "about me \\ud800"}',
        content_type="application/json",
        headers=auth_headers(user),
        status=400,
    )
    assert_400(response, "body", "bio")


def test_every_service_parses_its_body_through_the_one_json_guard():
    """The guard lives in ``thebot.api.validate``: a service that bypassed it (a plain Cornice
    service, or one excluding the validator) would read bodies unchecked."""
    bypassing = [
        (service.name, method)
        for service in get_services()
        for method, _view, args in service.definitions
        if method in {"POST", "PUT", "PATCH", "DELETE"}
        and not (isinstance(service, ApiService) and validate in args.get("validators", ()))
    ]
    assert bypassing == []


@pytest.mark.parametrize(
    "number", ["1e999", "-1E+400", "1" + "0" * 400 + ".5", "1" + "0" * 300 + "e10", "0.5e309"]
)
def test_a_number_too_large_for_a_float_is_400_like_infinity(testapp, number):
    """Python reads these as infinity; the cheap pre-check of a body must not miss them."""
    body = '{"count": 1, "name": ["x", {"y": ' + number + "}]}"
    response = testapp.post("/api/test/echo/", body, content_type="application/json", status=400)
    error = assert_400(response, "body", "name")["errors"][0]
    assert error["description"] == "NaN and Infinity are not JSON numbers"


@pytest.mark.parametrize(
    "body",
    ["[" * 5000, '{"a":' * 5000, "[" * 5000 + "]" * 5000, '{"name": ' + "[" * 33 + "]" * 33 + "}"],
)
@pytest.mark.parametrize("path", ["/api/test/echo/", "/api/auth/login/"])
def test_json_nested_too_deeply_is_400(testapp, path, body):
    response = testapp.post(path, body, content_type="application/json", status=400)
    descriptions = [e["description"] for e in assert_400(response, "body")["errors"]]
    assert any("nested deeper than 32" in d for d in descriptions), descriptions


def test_json_nested_as_deep_as_allowed_is_read(testapp):
    """32 levels pass the guard (the schema then refuses a list where it wants a name)."""
    body = '{"name": ' + "[" * 31 + "]" * 31 + "}"
    response = testapp.post("/api/test/echo/", body, content_type="application/json", status=400)
    assert "nested" not in response.json["errors"][0]["description"]


@pytest.mark.parametrize("charset", ["bogus", "latin-1", "utf-16"])
def test_json_in_another_charset_than_utf8_is_400(testapp, charset):
    """RFC 8259: JSON is UTF-8. WebOb would decode with the named codec (an unknown name
    was a LookupError, a 500)."""
    response = testapp.request(
        "/api/test/echo/",
        method="POST",
        body=b'{"name": "x"}',
        headers={"Content-Type": f"application/json; charset={charset}"},
        status=400,
    )
    assert_400(response, "header", "Content-Type")


def test_json_declared_as_utf8_is_read(testapp):
    response = testapp.request(
        "/api/test/echo/",
        method="POST",
        body=b'{"name": "x"}',
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert response.json["name"] == "x"


def multipart(name, filename=None):
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    body = f"--b\r\nContent-Disposition: {disposition}\r\n\r\nx\r\n--b--\r\n".encode()
    return {"body": body, "headers": {"Content-Type": "multipart/form-data; boundary=b"}}


def test_a_file_where_a_text_field_is_expected_is_400(testapp):
    response = testapp.request(
        "/api/test/echo/", method="POST", status=400, **multipart("name", "a.txt")
    )
    assert_400(response, "body", "name")
    assert testapp.request("/api/test/echo/", method="POST", **multipart("name")).json == {
        "name": "x",
        "count": 0,
    }


BODY_FIELDS = {
    (service.path, method, child.name): (args["schema"], child)
    for service in get_services()
    for method, _view, args in service.definitions
    if args.get("schema") is not None and args["schema"].get("body") is not None
    for child in args["schema"]["body"].children
}


class FilePart:
    filename = "a.txt"
    file = None


@pytest.mark.parametrize("where", sorted(BODY_FIELDS), ids=lambda w: " ".join(w))
def test_every_body_field_takes_a_file_part_only_if_it_takes_files(where):
    """Multipart bodies reach every service's schema: a file part in a text, number or
    object field is a field error (colander's types would crash on it), in a files field
    it is kept."""
    schema, node = BODY_FIELDS[where]
    request = SimpleNamespace(errors=Errors())
    cstruct = {"body": {node.name: FilePart()}}
    reject_stray_files(request, cstruct, schema)
    if isinstance(node.typ, Uploads):
        assert cstruct["body"] and not request.errors
    else:
        assert cstruct["body"] == {} and request.errors[0]["name"] == node.name


# --- ids --------------------------------------------------------------------------------------


def request_nodes(kinds):
    """Every node of a request schema (path, query string, body) whose type is one of
    ``kinds``, as ``(service path, method, dotted field)`` -> node."""
    found = {}
    for service in get_services():
        for method, _view, args in service.definitions:
            schema = args.get("schema")
            stack = [(schema, "")] if schema is not None else []
            while stack:
                node, dotted = stack.pop()
                if isinstance(node.typ, kinds):
                    found[(service.path, method, dotted)] = node
                stack.extend((c, f"{dotted}.{c.name}".lstrip(".")) for c in node.children)
    return found


INTEGER_FIELDS = request_nodes(colander.Integer)


def test_the_walk_finds_the_integer_fields():
    assert len(INTEGER_FIELDS) > 30
    assert ("/api/system/audit-log/", "GET", "querystring.actor") in INTEGER_FIELDS


@pytest.mark.parametrize("where", sorted(INTEGER_FIELDS), ids=lambda w: " ".join(w))
@pytest.mark.parametrize("value", [MAX_ID + 1, 2**63, int(HUGE_ID)])
def test_every_integer_field_refuses_values_beyond_the_integer_columns(where, value):
    """Ids and every other stored integer are 32-bit INTEGER columns: a larger value must be
    a field error, not a database error (PostgreSQL) or an OverflowError (SQLite)."""
    node = INTEGER_FIELDS[where]
    for raw in (value, str(value)):  # a JSON number, or the text of a query string
        with pytest.raises(colander.Invalid):
            node.deserialize(raw)


@pytest.mark.parametrize("actor", [HUGE_ID, str(MAX_ID + 1), str(2**63)])
def test_audit_log_actor_beyond_the_id_column_is_400(testapp, admin_headers, actor):
    response = testapp.get(
        "/api/system/audit-log/", {"actor": actor}, headers=admin_headers, status=400
    )
    assert_400(response, "querystring", "actor")


def test_ids_beyond_the_id_column_in_bodies_are_400(testapp, make_user, auth_headers):
    teacher = make_user("teacher")
    subject = SubjectFactory()
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    headers = auth_headers(teacher)
    material = {"title": "T", "type": "lesson", "subject_id": MAX_ID + 1}
    response = testapp.post_json("/api/materials/", material, headers=headers, status=400)
    assert_400(response, "body", "subject_id")
    report = {"student_id": 2**40, "period_start": "2026-01-01", "period_end": "2026-01-31"}
    response = testapp.post_json("/api/reports/", report, headers=headers, status=400)
    assert_400(response, "body", "student_id")


def id_routes():
    """Every (path template, method) whose path holds an id placeholder."""
    routes = []
    for service in get_services():
        if not re.search(r"\{(\w*id|id)(:[^}]*)?\}", service.path):
            continue
        for method in sorted({m for m, _v, _a in service.definitions} - {"HEAD", "OPTIONS"}):
            routes.append((service.path, method))
    return routes


def test_the_walk_finds_the_id_routes():
    assert len(id_routes()) > 40


@pytest.mark.parametrize(("template", "method"), id_routes(), ids=" ".join)
@pytest.mark.parametrize("value", [HUGE_ID, str(MAX_ID + 1)])
def test_every_path_id_beyond_the_id_column_is_404_or_400(
    testapp, admin_headers, template, method, value
):
    """An id no column can hold names nothing: 404 like any missing row (or a 400 from the
    path schema), never a database error."""
    path = re.sub(r"\{(\w*id|id)(:[^}]*)?\}", value, template)
    path = re.sub(r"\{\w+(:[^}]*)?\}", "x", path)
    response = testapp.request(
        path,
        method=method,
        body=b"{}" if method in {"POST", "PUT", "PATCH"} else b"",
        content_type="application/json",
        headers=admin_headers,
        expect_errors=True,
    )
    assert response.status_int in {400, 404}, (path, response.status, response.body[:300])
    assert response.content_type == PROBLEM


# --- date-times -------------------------------------------------------------------------------


DATETIME_FIELDS = request_nodes(RFC3339DateTime)


def test_the_walk_finds_the_datetime_fields():
    assert ("/api/assignments/", "POST", "body.due_at") in DATETIME_FIELDS
    assert ("/api/system/audit-log/", "GET", "querystring.since") in DATETIME_FIELDS


@pytest.mark.parametrize("text", OVERFLOWING)
def test_a_datetime_beyond_the_calendar_in_utc_is_refused(text):
    with pytest.raises(ValueError, match="out of range"):
        parse_rfc3339(text)


@pytest.mark.parametrize("where", sorted(DATETIME_FIELDS), ids=lambda w: " ".join(w))
@pytest.mark.parametrize("text", OVERFLOWING)
def test_every_datetime_field_refuses_values_beyond_the_calendar_in_utc(where, text):
    with pytest.raises(colander.Invalid):
        DATETIME_FIELDS[where].deserialize(text)


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("text", OVERFLOWING)
def test_audit_log_period_beyond_the_calendar_is_400(testapp, admin_headers, name, text):
    response = testapp.get(
        "/api/system/audit-log/", {name: text}, headers=admin_headers, status=400
    )
    assert_400(response, "querystring", name)


@pytest.mark.parametrize("name", ["due_at", "start_at", "late_deadline"])
def test_assignment_dates_beyond_the_calendar_are_400(testapp, make_user, auth_headers, name):
    teacher = make_user("teacher")
    subject = SubjectFactory()
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    body = {"title": "T", "subject_id": subject.id, "due_at": "2027-03-10T12:00:00+03:00"}
    body[name] = OVERFLOWING[0]
    response = testapp.post_json(
        "/api/assignments/", body, headers=auth_headers(teacher), status=400
    )
    assert_400(response, "body", name)


# --- CORS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/system/health/", "/media/x.png", "/api/nope/"])
def test_a_refused_cors_preflight_is_problem_json(testapp, path):
    response = testapp.options(
        path,
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
        status=403,
    )
    assert response.content_type == PROBLEM
    assert response.json["request_id"] == response.headers["X-Request-ID"]
    assert "Access-Control-Allow-Origin" not in response.headers
