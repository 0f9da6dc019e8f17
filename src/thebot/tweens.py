"""HTTP tweens: request ids, proxies, host check, HTTPS, size limit, CORS, security headers.

They run outside the exception view so every response, error or not, passes through them.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from pyramid.httpexceptions import HTTPMovedPermanently
from pyramid.response import Response

from thebot.errors import problem_response

if TYPE_CHECKING:
    from thebot.api import Request

log = logging.getLogger(__name__)

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CORS_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT"
CORS_HEADERS = ", ".join(
    [
        "Accept",
        "Authorization",
        "Content-Type",
        "If-Match",
        "If-None-Match",
        "Idempotency-Key",
        "X-CSRF-Token",
        "X-Request-ID",
    ]
)
CORS_EXPOSE = ", ".join(
    [
        "ETag",
        "Link",
        "Retry-After",
        "X-Request-ID",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Idempotent-Replayed",
    ]
)
HTML_CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
Handler = Callable[[Any], Response]


class ProxyList:
    """Addresses and networks whose ``X-Forwarded-*`` headers are trusted."""

    def __init__(self, entries: list[str]):
        self.networks = [ipaddress.ip_network(e, strict=False) for e in entries]
        # Every request asks about its peer (twice): parsing an address costs more than the
        # rest of the check. Bounded: forwarded addresses come from clients.
        self._contains = functools.lru_cache(maxsize=4096)(self._lookup)

    def __contains__(self, address: str | None) -> bool:
        return self._contains(address)

    def _lookup(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        return any(ip in net for net in self.networks)


def client_ip(environ: dict[str, Any], proxies: ProxyList) -> str:
    """Walk ``X-Forwarded-For`` right to left, skipping trusted proxies."""
    remote = environ.get("REMOTE_ADDR", "")
    if remote not in proxies:
        return remote
    hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in proxies:
            return hop
    return hops[0] if hops else remote


def host_allowed(host: str, allowed: list[str]) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
        if pattern.startswith(".") and (name == pattern[1:] or name.endswith(pattern)):
            return True
    return False


def request_id_tween_factory(handler: Handler, registry: Any) -> Handler:
    def tween(request: Request) -> Response:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        from thebot.logs import request_id_var

        token = request_id_var.set(request.request_id)
        try:
            response = handler(request)
        finally:
            request_id_var.reset(token)
        response.headers["X-Request-ID"] = request.request_id
        return response

    return tween


def gatekeeper_tween_factory(handler: Handler, registry: Any) -> Handler:
    """Proxy headers, host check, HTTPS redirect, body-size limit, CORS, security headers."""
    settings = registry.settings
    debug = settings["debug"]
    proxies = ProxyList(settings["trusted_proxies"])
    allowed_hosts = settings["allowed_hosts"]
    origins = set(settings["cors_allowed_origins"])
    max_body = settings["max_request_body_size"]
    redirect = settings["secure_ssl_redirect"] and not debug
    hsts = settings["hsts_seconds"]

    def tween(request: Request) -> Response:
        environ = request.environ
        if environ.get("REMOTE_ADDR", "") in proxies:
            proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
            if proto in {"http", "https"}:
                environ["wsgi.url_scheme"] = proto
            fwd_host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
            if fwd_host:
                environ["HTTP_HOST"] = fwd_host
        request.client_ip = client_ip(environ, proxies)

        if not host_allowed(request.host, allowed_hosts):
            log.warning("rejected request for disallowed host %r", request.host)
            response = problem_response(400, "Invalid Host header.", request=request)
        elif url_errors := path_errors(environ) + query_errors(environ):
            response = problem_response(
                400, "The URL is not valid UTF-8 text.", request=request, errors=url_errors
            )
        elif redirect and request.scheme != "https" and not _is_probe(request.path):
            response = HTTPMovedPermanently(location=request.url.replace("http://", "https://", 1))
        elif request.content_length is not None and request.content_length > max_body:
            response = problem_response(
                413, f"The request body is larger than {max_body} bytes.", request=request
            )
        elif request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            if request.headers.get("Origin") in origins:
                response = Response(status=204)
            else:  # a client-caused error like any other: problem+json, not an empty 403
                response = problem_response(
                    403, "Cross-origin requests from this origin are not allowed.", request=request
                )
        else:
            response = handler(request)
        _cors_headers(request, response, origins)
        _security_headers(
            request, response, https=request.scheme == "https" and not debug, hsts=hsts
        )
        return response

    return tween


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def path_errors(environ: dict[str, Any]) -> list[dict[str, str]]:
    """The path as the one guard sees it, before anything decodes it (routing, rate limits,
    logs): WSGI hands it over as latin-1 text, Pyramid decodes it as UTF-8 and raises on
    anything else (``/%ff``, the overlong ``/%c0%ae``). A NUL decodes: it names no route
    and no file (404)."""
    try:
        raw = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    except UnicodeEncodeError:
        raw = b"\xff"  # a server handed over text no byte string maps to: just as malformed
    if _utf8(raw) is None:
        return [{"location": "path", "name": "", "description": "Not valid UTF-8"}]
    return []


def query_errors(environ: dict[str, Any]) -> list[dict[str, str]]:
    """Each query parameter whose name or value is not UTF-8 once percent-decoded, split as
    WebOb splits them (``&`` and ``;``, ``+`` is a space), so ``request.GET`` cannot raise."""
    try:
        raw = environ.get("QUERY_STRING", "").encode("latin-1")
    except UnicodeEncodeError:
        return [{"location": "querystring", "name": "", "description": "Not valid UTF-8"}]
    errors = []
    for pair in (p for part in raw.replace(b"+", b" ").split(b"&") for p in part.split(b";")):
        name, _, value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(name)
        if _utf8(name_bytes) is None or _utf8(unquote_to_bytes(value)) is None:
            errors.append(
                {
                    "location": "querystring",
                    "name": name_bytes.decode("utf-8", "replace"),
                    "description": "Not valid UTF-8",
                }
            )
    return errors


def _is_probe(path: str) -> bool:
    # Kubernetes probes speak plain HTTP to the pod.
    return path.startswith("/api/system/health/live") or path.startswith(
        ("/api/system/health/ready", "/api/system/readiness")
    )


def _cors_headers(request: Request, response: Response, origins: set[str]) -> None:
    origin = request.headers.get("Origin")
    if not origin or origin not in origins:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
    response.vary = tuple(sorted(set(response.vary or ()) | {"Origin"}))
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"


def _security_headers(request: Request, response: Response, *, https: bool, hsts: int) -> None:
    headers = response.headers
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if (response.content_type or "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", HTML_CSP)
    if https and hsts:
        headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains; preload"


def includeme(config: Any) -> None:
    from pyramid.tweens import EXCVIEW, INGRESS

    config.add_tween("thebot.tweens.request_id_tween_factory", under=INGRESS)
    config.add_tween(
        "thebot.tweens.gatekeeper_tween_factory",
        under="thebot.tweens.request_id_tween_factory",
        over=EXCVIEW,
    )
