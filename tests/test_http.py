"""HTTP behaviour: problem+json errors, request ids, hosts, HTTPS, CORS, headers, size limit."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


@pytest.fixture
def prod_like(make_app, client, monkeypatch):
    """An app with ``debug`` off (production behaviour) over the test database."""
    monkeypatch.setattr("thebot.settings.validate_settings", lambda settings: [])
    return client(make_app(debug="false", trusted_proxies="10.0.0.1"))


def assert_problem(response, status, kind):
    assert response.status_int == status
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == status
    assert body["type"] == f"https://thebot.example/problems/{kind}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_unknown_path_is_problem_404(testapp):
    assert_problem(testapp.get("/api/nope/", status=404), 404, "not-found")


def test_wrong_method_is_problem_405_with_allow(testapp):
    response = testapp.delete("/api/system/health/live/", status=405)
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_unknown_query_parameter_is_problem_400(testapp):
    body = assert_problem(
        testapp.get("/api/system/health/live/?bogus=1", status=400), 400, "validation-error"
    )
    assert body["errors"][0]["location"] == "querystring"


def test_invalid_query_value_is_problem_400(testapp, monitor_headers):
    body = assert_problem(
        testapp.get("/api/system/metrics/?format=xml", headers=monitor_headers, status=400),
        400,
        "validation-error",
    )
    assert body["errors"][0]["name"] == "format"


def test_valid_json_body_is_accepted(testapp):
    assert testapp.post_json("/api/test/echo/", {"name": "ok"}).json == {"name": "ok", "count": 0}


def test_malformed_json_is_problem_400(testapp):
    response = testapp.post(
        "/api/test/echo/",
        params="{not json",
        headers={"Content-Type": "application/json"},
        status=400,
    )
    body = assert_problem(response, 400, "validation-error")
    assert "Invalid JSON" in body["errors"][0]["description"]


def test_wrong_content_type_is_problem_400(testapp):
    response = testapp.post(
        "/api/test/echo/", params="name=x", headers={"Content-Type": "text/csv"}, status=400
    )
    body = assert_problem(response, 400, "validation-error")
    assert body["errors"][0]["name"] == "Content-Type"


def test_unknown_body_field_is_problem_400(testapp):
    body = assert_problem(
        testapp.post_json("/api/test/echo/", {"name": "x", "admin": True}, status=400),
        400,
        "validation-error",
    )
    assert "admin" in body["errors"][0]["description"]


def test_out_of_range_and_missing_values_are_listed(testapp):
    body = assert_problem(
        testapp.post_json("/api/test/echo/", {"count": 99}, status=400), 400, "validation-error"
    )
    assert {e["name"] for e in body["errors"]} == {"name", "count"}
    assert body["detail"] == "2 fields are invalid"


def test_body_too_large_is_problem_413(make_app, client):
    app = client(make_app(max_request_body_size="100"))
    response = app.post(
        "/api/test/echo/",
        params="x" * 101,
        headers={"Content-Type": "application/json"},
        status=413,
    )
    assert_problem(response, 413, "payload-too-large")


def test_unhandled_error_is_problem_500_without_traceback(testapp, caplog):
    response = testapp.get("/api/test/boom/", status=500)
    body = assert_problem(response, 500, "server-error")
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert any(
        r.request_id == body["request_id"] for r in caplog.records if r.levelname == "ERROR"
    )


def test_request_id_is_echoed_or_generated(testapp):
    assert (
        testapp.get("/api/system/health/live/", headers={"X-Request-ID": "abc-123"}).headers[
            "X-Request-ID"
        ]
        == "abc-123"
    )
    generated = testapp.get(
        "/api/system/health/live/", headers={"X-Request-ID": "bad id\n"}
    ).headers["X-Request-ID"]
    assert generated != "bad id\n" and len(generated) == 32


def test_security_headers_on_every_response(testapp):
    for response in (testapp.get("/api/system/health/live/"), testapp.get("/api/x/", status=404)):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]


def test_csp_on_html_pages(testapp):
    response = testapp.get("/api/system/status-page/", headers={"Accept": "text/html"})
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_disallowed_host_is_400(testapp):
    response = testapp.get(
        "/api/system/health/live/", headers={"Host": "evil.example.com"}, status=400
    )
    assert_problem(response, 400, "validation-error")


def test_allowed_host_with_port_passes(testapp):
    testapp.get("/api/system/health/live/", headers={"Host": "localhost:6543"}, status=200)


def test_debug_has_no_https_redirect_and_no_hsts(testapp):
    response = testapp.get("/api/system/status-page/", status=200)
    assert "Strict-Transport-Security" not in response.headers


def test_production_redirects_http_to_https(prod_like):
    response = prod_like.get("/api/system/status-page/", status=301)
    assert response.headers["Location"] == "https://testserver/api/system/status-page/"


def test_production_sends_hsts_over_https(prod_like):
    response = prod_like.get(
        "/api/system/status-page/", extra_environ={"wsgi.url_scheme": "https"}
    )
    assert (
        response.headers["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains; preload"
    )


def test_probes_are_not_redirected(prod_like):
    prod_like.get("/api/system/health/live/", status=200)


def test_forwarded_proto_believed_only_from_trusted_proxy(prod_like):
    headers = {"X-Forwarded-Proto": "https"}
    trusted = prod_like.get(
        "/api/system/status-page/", headers=headers, extra_environ={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert trusted.status_int == 200 and "Strict-Transport-Security" in trusted.headers
    prod_like.get(
        "/api/system/status-page/",
        headers=headers,
        extra_environ={"REMOTE_ADDR": "203.0.113.9"},
        status=301,
    )


def test_forwarded_host_from_untrusted_client_is_ignored(prod_like):
    headers = {"X-Forwarded-Host": "evil.example.com", "X-Forwarded-Proto": "https"}
    response = prod_like.get(
        "/api/system/health/live/",
        headers=headers,
        extra_environ={"REMOTE_ADDR": "10.0.0.1"},
        status=400,
    )
    assert response.content_type == PROBLEM
    prod_like.get(
        "/api/system/health/live/",
        headers=headers,
        extra_environ={"REMOTE_ADDR": "203.0.113.9"},
        status=200,
    )


def test_cors_allowed_origin_gets_headers_with_credentials(testapp):
    response = testapp.get(
        "/api/system/health/live/", headers={"Origin": "https://app.example.com"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


def test_cors_disallowed_origin_gets_no_cors_headers(testapp):
    response = testapp.get(
        "/api/system/health/live/", headers={"Origin": "https://evil.example.com"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_preflight_answered_for_allowed_origin(testapp):
    response = testapp.options(
        "/api/system/health/",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"},
        status=204,
    )
    assert (
        response.headers["Access-Control-Allow-Methods"]
        == "DELETE, GET, OPTIONS, PATCH, POST, PUT"
    )
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_cors_preflight_refused_for_other_origin(testapp):
    response = testapp.options(
        "/api/system/health/",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
        status=403,
    )
    assert "Access-Control-Allow-Origin" not in response.headers
