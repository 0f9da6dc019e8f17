"""``GET /api/openapi.json`` describes every API service."""

from __future__ import annotations


def test_openapi_document_lists_every_api_route(app, testapp):
    doc = testapp.get("/api/openapi.json").json
    assert doc["info"]["title"] == "THE_BOT API"
    paths = set(doc["paths"])
    introspector = app.registry.introspector
    api_routes = {
        r["pattern"] if r["pattern"].startswith("/") else "/" + r["pattern"]
        for r in introspector.get_category("routes")
        for r in [r["introspectable"]]
        if str(r["pattern"]).lstrip("/").startswith("api/")
    }
    missing = {p for p in api_routes if p not in paths and "/test/" not in p}
    assert missing == set(), missing


def test_openapi_documents_request_bodies_and_tags(testapp):
    doc = testapp.get("/api/openapi.json").json
    login = doc["paths"]["/api/auth/login/"]["post"]
    assert "system" in {t["name"] for t in doc.get("tags", [])} or login
    params = {p["in"] for p in login.get("parameters", [])}
    assert "body" in params
