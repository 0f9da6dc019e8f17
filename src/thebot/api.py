"""Cornice glue: the service class every feature uses, JSON-only body parsing, strict schemas."""

from __future__ import annotations

import re
from typing import Any

import colander
from cornice import Service
from cornice.validators import colander_validator, extract_cstruct

from thebot.errors import cornice_errors_to_problem

JSON_RE = re.compile(r"^application/([\w.+-]+\+)?json$")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def json_cstruct(request: Any) -> dict[str, Any]:
    """Like Cornice's extractor, but a body that is not JSON is a 400, not a guess."""
    content_type = request.content_type or ""
    if request.body and not JSON_RE.match(content_type) and content_type not in FORM_TYPES:
        request.errors.add(
            "header", "Content-Type", f"Expected application/json, got {content_type or 'none'}"
        )
        request.errors.status = 400
        request.body = b""
    return extract_cstruct(request)


def validate(request: Any, **kwargs: Any) -> None:
    kwargs.setdefault("deserializer", json_cstruct)
    colander_validator(request, **kwargs)


class ApiService(Service):
    """A Cornice service answering errors with problem+json; validates with colander."""

    default_validators = [validate]

    def default_error_handler(self, request: Any) -> Any:
        return cornice_errors_to_problem(request)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("cors_enabled", False)  # the gatekeeper tween answers CORS
        kwargs.setdefault("depth", 2)
        super().__init__(*args, **kwargs)


class StrictMapping(colander.MappingSchema):
    """A JSON object schema that rejects unknown fields."""

    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="raise")


class EmptyRequest(colander.MappingSchema):
    """For views without parameters: any body or unknown query is still rejected."""

    body = StrictMapping(missing=colander.drop)
