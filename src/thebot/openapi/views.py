"""``GET /api/openapi.json`` (the OpenAPI 3.1 document) and ``GET /api/docs/`` (Swagger UI).

Swagger UI comes from the ``swagger-ui-bundle`` wheel and is served by the app, so the
reference works offline and behind strict firewalls (no CDN). Who may open it is the
``api_docs`` setting: ``public``, ``admin`` (``system.manage``) or ``off`` (no route).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import colander
from cornice.service import get_services
from pyramid.renderers import render_to_response
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.api import ApiService
from thebot.openapi.document import build_document
from thebot.permissions import MANAGE_SYSTEM

if TYPE_CHECKING:
    from thebot.api import Request

DOCS_ASSETS = "api/docs/assets"
# Swagger UI runs its own (static, same-origin) scripts and sets inline styles.
DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)


class OpenAPIDocument(colander.MappingSchema):
    """An OpenAPI 3.1 document (its own schema is the OpenAPI specification's)."""

    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")

    openapi = colander.SchemaNode(colander.String(), validator=colander.OneOf(["3.1.0"]))
    info = colander.SchemaNode(colander.Mapping(unknown="preserve"))
    paths = colander.SchemaNode(colander.Mapping(unknown="preserve"))
    components = colander.SchemaNode(colander.Mapping(unknown="preserve"))


openapi = ApiService(name="openapi", path="/api/openapi.json", description="OpenAPI description")


@openapi.get(
    permission=NO_PERMISSION_REQUIRED,
    tags=["system"],
    response_schemas={"200": OpenAPIDocument(description="The OpenAPI 3.1 document")},
)
def get_openapi(request: Request) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every API operation (built once per process)."""
    cached = request.registry.get("openapi_document")
    if cached is None:
        services = [s for s in get_services() if s.path and s.path.startswith("/api/")]
        cached = build_document(services, version=request.registry.settings["thebot.version"])
        request.registry["openapi_document"] = cached
    return cached


def docs_page(request: Request) -> Any:
    """The Swagger UI page; its script (``docs.js``) loads ``/api/openapi.json``."""
    response = render_to_response(
        "thebot:templates/api_docs.jinja2",
        {
            "assets": request.static_path(swagger_ui_path() + "/"),
            "initializer": request.static_path("thebot:static/api_docs.js"),
            "openapi_url": request.route_path("openapi"),
        },
        request=request,
    )
    response.headers["Content-Security-Policy"] = DOCS_CSP
    response.cache_control = "no-store"
    return response


def swagger_ui_path() -> str:
    from swagger_ui_bundle import swagger_ui_path as path

    return str(path)


def docs_mode(settings: dict[str, Any]) -> str:
    """``api_docs`` with its default: public in development, admin-only otherwise."""
    return settings.get("api_docs") or ("public" if settings.get("debug") else "admin")


def includeme(config: Any) -> None:
    config.scan(__name__)
    mode = docs_mode(config.registry.settings)
    if mode == "off":
        return
    permission = NO_PERMISSION_REQUIRED if mode == "public" else MANAGE_SYSTEM
    config.add_route("api_docs", "/api/docs/")
    config.add_view(
        docs_page, route_name="api_docs", request_method=("GET", "HEAD"), permission=permission
    )
    config.add_static_view(
        DOCS_ASSETS, swagger_ui_path(), cache_max_age=86400, permission=permission
    )
