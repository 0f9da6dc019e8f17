"""RFC 9457 problem+json responses and the exception views that produce them."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from pyramid.httpexceptions import HTTPException, HTTPMethodNotAllowed, HTTPNotFound
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

if TYPE_CHECKING:
    from thebot.api import Request

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://thebot.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

# status -> (type slug, title)
PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("validation-error", "Invalid request"),
    401: ("not-authenticated", "Authentication required"),
    403: ("permission-denied", "Permission denied"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("unprocessable-content", "Unprocessable content"),
    429: ("rate-limited", "Too many requests"),
    500: ("server-error", "Internal server error"),
    503: ("service-unavailable", "Service unavailable"),
}


def problem_body(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    kind: str | None = None,
    title: str | None = None,
    request_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    slug, default_title = PROBLEMS.get(
        status, ("server-error" if status >= 500 else "error", "Error")
    )
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (kind or slug),
        "title": title or default_title,
        "status": status,
        "detail": detail or title or default_title,
    }
    if errors is not None:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    request: Request | None = None,
    headers: Any = None,
    **kwargs: Any,
) -> Response:
    request_id = getattr(request, "request_id", None) if request is not None else None
    body = problem_body(status, detail, request_id=request_id, **kwargs)
    response = Response(
        body=json.dumps(body).encode(),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        charset="utf-8",
    )
    if headers:
        response.headers.update(headers)
    return response


class APIProblem(Exception):
    """Raise from the HTTP layer (views, core request helpers) with an explicit status;
    services raise a ``DomainError`` instead."""

    def __init__(
        self, status: int, detail: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.kwargs = kwargs


class DomainError(Exception):
    """What a service raises when a rule refuses an operation. Services know no HTTP: the one
    mapping below (``domain_error_view``) turns each kind into its problem+json status.

    ``errors`` lists field errors (``{"location", "name", "description"}``); ``extra`` adds
    members to the problem body (``conflicts``, ``rule``, ``required`` ...), so clients can
    act on the refusal without parsing ``detail``."""

    status = 400

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does (404)."""

    status = 404


class Forbidden(DomainError):
    """The caller may see the object but not do this to it (403)."""

    status = 403


class Conflict(DomainError):
    """The operation clashes with the current state: a duplicate, a taken slot, a wrong
    status (409)."""

    status = 409


def field_error(name: str, description: str, location: str = "body") -> dict[str, str]:
    """One entry of a problem's ``errors`` list."""
    return {"location": location, "name": name, "description": description}


class Invalid(DomainError):
    """A value breaks a rule that only the service can check (400): ``Invalid(field,
    message)`` for one field, ``Invalid(errors=[field_error(...), ...])`` for several."""

    status = 400

    def __init__(
        self,
        field: str | None = None,
        message: str = "",
        *,
        errors: list[dict[str, str]] | None = None,
        detail: str | None = None,
        location: str = "body",
        **extra: Any,
    ):
        errors = list(errors or [])
        if field is not None:
            errors.insert(0, field_error(field, message, location))
        if detail is None:
            detail = message if field is not None and len(errors) == 1 else None
        super().__init__(detail or _count_invalid(len(errors)), errors=errors, **extra)


class TooLarge(DomainError):
    """An upload is over its size limit (413)."""

    status = 413


class UnsupportedType(DomainError):
    """An upload's content is not a type this place accepts (415)."""

    status = 415


def _count_invalid(count: int) -> str:
    return "1 field is invalid" if count == 1 else f"{count} fields are invalid"


def cornice_errors_to_problem(request: Request) -> Response:
    """Cornice error handler: its collected errors become one 400 (or other) problem."""
    errors = [
        {
            "location": e.get("location", ""),
            "name": e.get("name") or "",
            "description": str(e.get("description", "")),
        }
        for e in request.errors
    ]
    status = getattr(request.errors, "status", 400) or 400
    return problem_response(status, _count_invalid(len(errors)), request=request, errors=errors)


@exception_view_config(APIProblem)
def api_problem_view(exc: APIProblem, request: Request) -> Response:
    return problem_response(
        exc.status, exc.detail, request=request, headers=exc.headers, **exc.kwargs
    )


@exception_view_config(DomainError)
def domain_error_view(exc: DomainError, request: Request) -> Response:
    """The one mapping from domain errors to problem+json."""
    kwargs: dict[str, Any] = dict(exc.extra)
    if exc.errors is not None:
        kwargs["errors"] = exc.errors
    if exc.kind:
        kwargs["kind"] = exc.kind
    return problem_response(exc.status, exc.detail, request=request, headers=exc.headers, **kwargs)


@notfound_view_config()
def notfound_view(exc: HTTPNotFound, request: Request) -> Response:
    return problem_response(404, "The requested resource was not found.", request=request)


@exception_view_config(HTTPMethodNotAllowed)
def method_not_allowed_view(exc: HTTPException, request: Request) -> Response:
    response = problem_response(
        405, f"Method {request.method} is not allowed here.", request=request
    )
    allow = exc.headers.get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


@exception_view_config(HTTPException)
def http_exception_view(exc: HTTPException, request: Request) -> Response:
    if exc.code < 400:
        return exc  # redirects and 304 pass through unchanged
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else exc.explanation
    response = problem_response(exc.code, detail or exc.title, request=request)
    for name in ("WWW-Authenticate", "Retry-After", "Allow", "Location"):
        if name in exc.headers:
            response.headers[name] = exc.headers[name]
    return response


@exception_view_config(Exception)
def server_error_view(exc: Exception, request: Request) -> Response:
    log.exception("unhandled error in %s %s", request.method, request.path)
    return problem_response(
        500,
        "The server could not complete the request; quote the request id when reporting it.",
        request=request,
    )


@forbidden_view_config()
def forbidden_view(exc: HTTPException, request: Request) -> Response:
    if request.authenticated_userid is None:
        return problem_response(
            401,
            "Authentication credentials were not provided or are invalid.",
            request=request,
            headers={"WWW-Authenticate": "Token"},
        )
    return problem_response(
        403, "You do not have permission to perform this action.", request=request
    )


def includeme(config: Any) -> None:
    config.scan(__name__)
