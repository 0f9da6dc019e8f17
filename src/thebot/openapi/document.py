"""The OpenAPI 3.1 document, built from the Cornice services and their colander schemas.

Each operation is read from what the view declares (``permission``, ``schema`` with its
``path`` / ``querystring`` / ``body`` children, ``response_schemas``, ``tags``, validators)
and from how it is wired (Cornice path placeholders, ``@idempotent``, ``If-Match``); its
error responses follow from those (see ``error_statuses``) and share one problem schema.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import colander
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.openapi import security
from thebot.openapi.problems import PROBLEM_RESPONSES, problem_components
from thebot.openapi.schemas import JSONSchema, is_required, node_schema

MAX_ID = 2**31 - 1
PLACEHOLDER_RE = re.compile(r"\{(\w+)(?::[^}]*)?\}")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # HEAD mirrors GET; not listed
JSON = "application/json"


def openapi_path(pattern: str) -> str:
    """``/api/system/backups/{backup_id:\\d+}/`` -> ``/api/system/backups/{backup_id}/``."""
    return PLACEHOLDER_RE.sub(r"{\1}", pattern)


def build_document(services: list[Any], *, version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    tags: set[str] = set()
    for service in sorted(services, key=lambda s: s.path):
        for method, view, args in service.definitions:
            if method not in METHODS:
                continue
            operation = build_operation(service, method, view, args)
            tags.update(operation.get("tags", ()))
            paths.setdefault(openapi_path(service.path), {})[method.lower()] = operation
    add_links(paths)
    components: dict[str, Any] = {
        "securitySchemes": security.SCHEMES,
        **problem_components(),
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "THE_BOT API",
            "version": version,
            "description": (
                "Errors are RFC 9457 problem+json (`ProblemDetails`). Lists are "
                "cursor-paginated (`limit`, `cursor`, `next_cursor`)."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name} for name in sorted(tags)],
        "paths": paths,
        "components": components,
    }


def schema_child(args: dict[str, Any], name: str) -> colander.SchemaNode | None:
    schema = args.get("schema")
    if schema is None:
        return None
    if isinstance(schema, type):
        schema = schema()
    return schema.get(name)


def build_operation(service: Any, method: str, view: Any, args: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{service.name}_{method.lower()}",
        "summary": str(service.description or service.name),
    }
    described = description_of(view)
    if described:
        operation["description"] = described
    if args.get("tags"):
        operation["tags"] = list(args["tags"])
    parameters = path_parameters(service.path, schema_child(args, "path"))
    parameters += query_parameters(schema_child(args, "querystring"))
    parameters += header_parameters(service.path, method, view)
    if parameters:
        operation["parameters"] = parameters
    body = request_body(args)
    if body is not None:
        operation["requestBody"] = body
    responses = success_responses(args)
    for status in error_statuses(service.path, method, view, args, body):
        ref = {"$ref": f"#/components/responses/{PROBLEM_RESPONSES[status]}"}
        responses.setdefault(str(status), ref)  # a declared body (readiness 503) wins
    operation["responses"] = responses
    operation["security"] = security.requirements(service.path, method, args.get("permission"))
    return operation


def description_of(view: Any) -> str:
    """The view's docstring, unwrapped (its paragraphs kept)."""
    doc = inspect.getdoc(inspect.unwrap(view)) or ""
    return "\n\n".join(" ".join(part.split()) for part in doc.split("\n\n") if part.strip())


def path_parameters(pattern: str, path_schema: colander.SchemaNode | None) -> list[JSONSchema]:
    """Every placeholder of the route, typed by the ``path`` schema or by its name."""
    parameters = []
    for name in PLACEHOLDER_RE.findall(pattern):
        node = path_schema.get(name) if path_schema is not None else None
        if node is not None:
            schema = node_schema(node)
        elif name == "id" or name.endswith("_id"):
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        else:
            schema = {"type": "string", "minLength": 1}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def query_parameters(query: colander.SchemaNode | None) -> list[JSONSchema]:
    if query is None:
        return []
    parameters = []
    for child in query.children:
        schema = node_schema(child)
        parameter = {"name": child.name, "in": "query", "required": is_required(child)}
        if "description" in schema:
            parameter["description"] = schema.pop("description")
        parameter["schema"] = schema
        parameters.append(parameter)
    return parameters


def idempotent(view: Any) -> bool:
    return getattr(view, "idempotency_scope", None) is not None


def honours_if_match(pattern: str, method: str, view: Any) -> bool:
    """Unsafe requests on one object whose view checks ``If-Match`` (412), itself or
    through a helper of its module."""
    return (
        method in UNSAFE
        and bool(PLACEHOLDER_RE.search(pattern))
        and calls(inspect.unwrap(view), "check_if_match", depth=2)
    )


def calls(function: Any, name: str, depth: int) -> bool:
    """Whether ``function`` names ``name``, or calls a function of its module that does."""
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    if name in code.co_names:
        return True
    if depth <= 1:
        return False
    module_globals = getattr(function, "__globals__", {})
    helpers = (module_globals.get(n) for n in code.co_names)
    return any(
        calls(helper, name, depth - 1)
        for helper in helpers
        if inspect.isfunction(helper) and helper.__module__ == function.__module__
    )


def header_parameters(pattern: str, method: str, view: Any) -> list[JSONSchema]:
    headers = []
    if idempotent(view):
        headers.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A repeat with the same key and body replays the first answer "
                "(`Idempotent-Replayed: true`); with another body it is a 422.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if honours_if_match(pattern, method, view):
        headers.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "The ETag of the copy you changed; 412 when it is stale.",
                "schema": {"type": "string"},
            }
        )
    return headers


def is_upload(args: dict[str, Any]) -> bool:
    validators = [getattr(v, "__name__", "") for v in args.get("validators", ())]
    return "upload_validator" in validators


def request_body(args: dict[str, Any]) -> dict[str, Any] | None:
    if is_upload(args):
        upload = {
            "type": "object",
            "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream"}
            },
            "required": ["file"],
            "additionalProperties": False,
        }
        return {"required": True, "content": {"multipart/form-data": {"schema": upload}}}
    node = schema_child(args, "body")
    if node is None:
        return None
    schema = node_schema(node)
    content = {JSON: {"schema": schema}}
    if args.get("deserializer") is not None:  # form_or_json: files travel as multipart
        content["multipart/form-data"] = {"schema": schema}
    return {"required": is_required(node), "content": content}


def success_responses(args: dict[str, Any]) -> dict[str, Any]:
    """The declared ``response_schemas``: JSON unless the node names its ``content_types``
    (the calendar feed, Prometheus text, the HTML status page); 204 has no body."""
    responses: dict[str, Any] = {}
    for status, node in (args.get("response_schemas") or {}).items():
        response: dict[str, Any] = {"description": getattr(node, "description", "") or "Success"}
        if str(status) != "204":
            schema = node_schema(response_body(node), response=True)
            schema.pop("description", None)
            response["content"] = {
                media: {"schema": schema if media.endswith("json") else {"type": "string"}}
                for media in getattr(node, "content_types", (JSON,))
            }
        responses[str(status)] = response
    return responses


def response_body(node: colander.SchemaNode) -> colander.SchemaNode:
    """The body of a response node: itself, or its ``body`` child when it is written as
    ``body`` (+ ``headers``), the layout Cornice response schemas also use."""
    names = {child.name for child in node.children}
    if "body" in names and names <= {"body", "headers"}:
        return node["body"]
    return node


def error_statuses(
    pattern: str, method: str, view: Any, args: dict[str, Any], body: dict[str, Any] | None
) -> list[int]:
    """The problem statuses this operation can answer, derived from how it is declared.

    400: every view validates its query (and body); 401/403: it needs a permission;
    404: it names objects (path ids, or ids in a body that the caller may not see);
    409: unsafe requests can conflict (duplicates, overlaps, state machines);
    412: ``If-Match``; 413/415: it takes a body (uploads: sniffed content types);
    422: ``Idempotency-Key``; 429: rate limits; 503: a dependency is down.
    """
    statuses = {400, 429, 503}
    if args.get("permission") not in (None, NO_PERMISSION_REQUIRED):
        statuses |= {401, 403}
    if PLACEHOLDER_RE.search(pattern) or (method in UNSAFE and body is not None):
        statuses.add(404)
    if method in UNSAFE:
        statuses |= {409, 413}
    if is_upload(args) or args.get("deserializer") is not None:
        statuses.add(415)
    if honours_if_match(pattern, method, view):
        statuses.add(412)
    if idempotent(view):
        statuses.add(422)
    statuses |= set(args.get("problems", ()))
    return sorted(statuses)


def add_links(paths: dict[str, dict[str, Any]]) -> None:
    """Create -> read: a 201 whose body has an ``id`` links to ``GET <path>{<x>_id}/``."""
    for path, operations in paths.items():
        post = operations.get("post")
        created = (post or {}).get("responses", {}).get("201", {})
        schema = created.get("content", {}).get(JSON, {}).get("schema", {})
        if "id" not in schema.get("properties", {}):
            continue
        for other, their_operations in paths.items():
            match = re.fullmatch(re.escape(path) + r"\{(\w+)\}/", other)
            if match and "get" in their_operations:
                created["links"] = {
                    "GetCreated": {
                        "operationId": their_operations["get"]["operationId"],
                        "parameters": {match.group(1): "$response.body#/id"},
                        "description": "The object just created",
                    }
                }
