"""The shared ``ProblemDetails`` schema (RFC 9457) and one named response per status."""

from __future__ import annotations

from typing import Any

from thebot.errors import PROBLEM_CONTENT_TYPE, PROBLEMS

PROBLEM_RESPONSES = {
    400: "BadRequest",
    401: "NotAuthenticated",
    403: "PermissionDenied",
    404: "NotFound",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableContent",
    429: "RateLimited",
    503: "ServiceUnavailable",
}

DESCRIPTIONS = {
    400: "Invalid request: `errors` lists each invalid field",
    401: "No or invalid credentials (`WWW-Authenticate: Token`)",
    403: "Signed in but not allowed",
    404: "No such object, or one the caller may not see",
    409: "Conflicts with the current state (duplicate, overlap, state machine)",
    412: "`If-Match` names a copy that is no longer current",
    413: "The body is larger than allowed",
    415: "The file's content type is not accepted here",
    422: "`Idempotency-Key` reused with another body",
    429: "Too many requests: wait `Retry-After` seconds",
    503: "A dependency (database, broker) is unavailable: retry after `Retry-After`",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; extra members depend on the problem type.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "name", "description"],
                "properties": {
                    "location": {"type": "string"},
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
        },
    },
}


def problem_response(status: int) -> dict[str, Any]:
    slug, _title = PROBLEMS[status]
    schema = {
        "allOf": [
            {"$ref": "#/components/schemas/ProblemDetails"},
            {"properties": {"status": {"const": status}}},
        ]
    }
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}},
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def problem_components() -> dict[str, Any]:
    return {
        "schemas": {"ProblemDetails": PROBLEM_SCHEMA},
        "responses": {
            name: problem_response(status) for status, name in PROBLEM_RESPONSES.items()
        },
    }
