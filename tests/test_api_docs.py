"""``/api/docs/``: Swagger UI served from the wheel; public, admin-only or off (API_DOCS)."""

from __future__ import annotations

import pytest

from thebot.openapi.views import docs_mode


@pytest.fixture(scope="module")
def apps(make_app):
    return {mode: make_app(api_docs=mode) for mode in ("public", "admin", "off")}


def test_public_docs_page_loads_swagger_ui_from_the_app(apps, client, dbsession):
    testapp = client(apps["public"])
    page = testapp.get("/api/docs/")
    assert page.content_type == "text/html"
    assert "/api/openapi.json" in page.text
    assert "https://" not in page.text and "//cdn" not in page.text  # nothing from a CDN
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    scripts = [s.split('"')[0] for s in page.text.split('<script src="')[1:]]
    assert len(scripts) == 2
    for src in scripts:
        assert testapp.get(src).status_int == 200
    assert testapp.get("/api/docs/assets/swagger-ui.css").content_type == "text/css"


def test_admin_docs_need_an_admin(apps, client, make_user, auth_headers):
    testapp = client(apps["admin"])
    assert testapp.get("/api/docs/", status=401).content_type == "application/problem+json"
    teacher = auth_headers(make_user("teacher"))
    testapp.get("/api/docs/", headers=teacher, status=403)
    testapp.get("/api/docs/assets/swagger-ui.css", headers=teacher, status=403)
    admin = auth_headers(make_user("admin"))
    assert "swagger-ui" in testapp.get("/api/docs/", headers=admin).text
    testapp.get("/api/docs/assets/swagger-ui.css", headers=admin, status=200)


def test_docs_off_is_not_found_but_the_document_stays(apps, client, make_user, auth_headers):
    testapp = client(apps["off"])
    admin = auth_headers(make_user("admin"))
    testapp.get("/api/docs/", headers=admin, status=404)
    testapp.get("/api/docs/assets/swagger-ui.css", headers=admin, status=404)
    assert testapp.get("/api/openapi.json").json["openapi"] == "3.1.0"


def test_docs_default_public_in_debug_admin_otherwise():
    assert docs_mode({"debug": True, "api_docs": None}) == "public"
    assert docs_mode({"debug": False, "api_docs": None}) == "admin"
    assert docs_mode({"debug": True, "api_docs": "off"}) == "off"


def test_api_docs_setting_is_checked():
    from thebot.settings import ConfigurationError, load_settings

    assert load_settings({}, environ={"API_DOCS": "Admin"})["api_docs"] == "admin"
    with pytest.raises(ConfigurationError, match="API_DOCS"):
        load_settings({}, environ={"API_DOCS": "everyone"})
