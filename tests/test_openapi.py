"""``GET /api/openapi.json`` is an OpenAPI 3.1 contract of every API operation."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

PLACEHOLDER_RE = re.compile(r"\{(\w+)(?::[^}]*)?\}")
NOT_OPERATIONS = {"/api/docs/", "/api/docs/assets/*subpath"}  # HTML and static files


@pytest.fixture
def doc(testapp):
    return testapp.get("/api/openapi.json").json


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema


def test_openapi_document_lists_every_api_route(app, doc):
    api_routes = {
        "/" + str(r["pattern"]).lstrip("/")
        for r in (i["introspectable"] for i in app.registry.introspector.get_category("routes"))
        if str(r["pattern"]).lstrip("/").startswith("api/")
    }
    documented = {PLACEHOLDER_RE.sub(r"{\1}", p) for p in api_routes - NOT_OPERATIONS}
    missing = {p for p in documented if p not in doc["paths"] and "/test/" not in p}
    assert missing == set()


def test_paths_carry_no_regex_and_declare_every_placeholder(doc):
    assert "/api/system/backups/{backup_id}/" in doc["paths"]
    for path, method, operation in operations(doc):
        assert ":" not in path, path
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(PLACEHOLDER_RE.findall(path)), (method, path)
    backup = doc["paths"]["/api/system/backups/{backup_id}/"]["get"]["parameters"][0]
    assert backup["schema"]["type"] == "integer"
    ics = doc["paths"]["/api/scheduling/calendar/{token}.ics"]["get"]
    assert [p["name"] for p in ics["parameters"] if p["in"] == "path"] == ["token"]
    assert "text/calendar" in ics["responses"]["200"]["content"]


def test_every_operation_lists_its_problem_responses(doc):
    problem = doc["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    for path, method, operation in operations(doc):
        responses = operation["responses"]
        assert "400" in responses, (method, path)
        if operation["security"]:
            assert {"401", "403"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        for status, response in responses.items():
            if int(status) >= 400 and "$ref" in response:  # readiness declares its 503
                ref = response["$ref"].rsplit("/", 1)[1]
                content = doc["components"]["responses"][ref]["content"]
                assert list(content) == ["application/problem+json"]
    lesson = doc["paths"]["/api/scheduling/lessons/"]["post"]
    assert {"409", "413", "422"} <= set(lesson["responses"])
    assert "Idempotency-Key" in {p["name"] for p in lesson["parameters"]}
    patch = doc["paths"]["/api/scheduling/lessons/{lesson_id}/"]["patch"]
    assert "412" in patch["responses"] and "If-Match" in {p["name"] for p in patch["parameters"]}
    assert "412" not in doc["paths"]["/api/scheduling/lessons/"]["get"]["responses"]


def schema_of(operation, status="200"):
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_nullable_fields_allow_null_and_closed_bodies_refuse_extras(doc):
    user = schema_of(doc["paths"]["/api/accounts/users/{user_id}/"]["get"])
    assert user["properties"]["phone"]["type"] == ["string", "null"]
    assert user["properties"]["email"]["type"] == "string"
    patch = doc["paths"]["/api/accounts/users/{user_id}/profile/"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False
    assert body["properties"]["grade"]["type"] == ["integer", "null"]
    assert body["properties"]["grade"]["minimum"] == 1


def test_a_closed_body_is_closed_on_the_server_too(doc, testapp):
    login = doc["paths"]["/api/auth/login/"]["post"]
    body = login["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False
    answer = testapp.post_json(
        "/api/auth/login/", {"login": "x", "password": "y", "extra": 1}, status=400
    )
    assert any("extra" in e["description"] for e in answer.json["errors"])


def test_security_schemes_and_public_operations(doc):
    schemes = doc["components"]["securitySchemes"]
    assert {"token", "bearer", "session", "csrf", "metrics"} <= set(schemes)
    assert doc["paths"]["/api/auth/login/"]["post"]["security"] == []
    assert doc["paths"]["/api/system/health/live/"]["get"]["security"] == []
    me = doc["paths"]["/api/auth/me/"]["get"]["security"]
    assert {"token": []} in me and {"session": []} in me
    logout = doc["paths"]["/api/auth/logout/"]["post"]["security"]
    assert {"session": [], "csrf": []} in logout
    assert {"metrics": []} in doc["paths"]["/api/system/metrics/"]["get"]["security"]
    assert {"metrics": []} not in doc["paths"]["/api/accounts/users/"]["get"]["security"]


def test_create_links_to_read(doc):
    created = doc["paths"]["/api/materials/subjects/"]["post"]["responses"]["201"]
    link = created["links"]["GetCreated"]
    read = doc["paths"]["/api/materials/subjects/{subject_id}/"]["get"]
    assert link["operationId"] == read["operationId"]
    assert link["parameters"] == {"subject_id": "$response.body#/id"}
    operation_ids = [op["operationId"] for _path, _method, op in operations(doc)]
    assert len(operation_ids) == len(set(operation_ids))


def test_openapi_documents_request_bodies_and_tags(doc):
    login = doc["paths"]["/api/auth/login/"]["post"]
    assert login["tags"] == ["auth"]
    assert "auth" in {t["name"] for t in doc["tags"]}
    body = login["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"login", "password"}


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_a_form_body_the_parser_refuses_is_a_400(testapp, make_user, auth_headers, content_type):
    """Found by schemathesis: a multipart type without a boundary was a 500 on JSON views,
    with a body or without one (a DELETE)."""
    admin = auth_headers(make_user("admin"))
    headers = {**admin, "Content-Type": content_type}
    for path in ("/api/auth/login/", "/api/materials/subjects/"):
        answer = testapp.post(path, b'{"name": "x"}', headers=headers, status=400)
        assert answer.content_type == "application/problem+json"
    subject = testapp.post_json("/api/materials/subjects/", {"name": "Art"}, headers=admin)
    path = f"/api/materials/subjects/{subject.json['id']}/"
    answer = testapp.delete(path, headers=headers, expect_errors=True)
    assert answer.status_int == 400 and answer.content_type == "application/problem+json"


def test_every_operation_declares_its_success_body(doc):
    """Each view names its response schema (``response_schemas``): nothing is undocumented."""
    for path, method, operation in operations(doc):
        if path.startswith("/api/test/"):  # the test suite's own support views
            continue
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            if status != "204":
                assert response.get("content"), (method, path, status)
