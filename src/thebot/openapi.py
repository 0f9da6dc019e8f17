"""``GET /api/openapi.json``: the API description generated from the Cornice services."""

from __future__ import annotations

from typing import Any

from cornice.service import get_services
from cornice_swagger import CorniceSwagger
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.api import ApiService

openapi = ApiService(name="openapi", path="/api/openapi.json", description="OpenAPI description")


@openapi.get(permission=NO_PERMISSION_REQUIRED, tags=["system"])
def get_openapi(request: Any) -> dict[str, Any]:
    cached = request.registry.get("openapi_document")
    if cached is None:
        services = [s for s in get_services() if s.path and s.path.startswith("/api/")]
        generator = CorniceSwagger(services, pyramid_registry=request.registry)
        generator.summary_docstrings = True
        cached = generator.generate(
            title="THE_BOT API", version=request.registry.settings["thebot.version"], base_path="/"
        )
        request.registry["openapi_document"] = cached
    return cached


def includeme(config: Any) -> None:
    config.scan(__name__)
