"""Response helpers every feature's views share: ETags and conditional requests, 201, 204."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pyramid.httpexceptions import HTTPNotModified
from pyramid.response import Response

from thebot.api import canonical, dumps
from thebot.errors import APIProblem

if TYPE_CHECKING:
    from thebot.api import Request


def etag_of(body: Any) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()[:32]


def with_etag(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Send the body with its ETag; a GET whose ``If-None-Match`` matches gets a 304."""
    tag = etag_of(body)
    if request.method in ("GET", "HEAD") and tag in request.if_none_match:
        raise HTTPNotModified(headers={"ETag": f'"{tag}"'})
    request.response.etag = tag
    return body


def encode_json(body: Any) -> tuple[bytes, str]:
    """A body encoded once, with an ETag of those bytes: for bodies kept encoded (caches)."""
    data = dumps(body)
    return data, hashlib.sha256(data).hexdigest()[:32]


def encoded_response(request: Request, data: bytes, tag: str) -> Response:
    """Send JSON ``data`` encoded earlier, with its ETag; a matching ``If-None-Match`` is a 304."""
    if request.method in ("GET", "HEAD") and tag in request.if_none_match:
        raise HTTPNotModified(headers={"ETag": f'"{tag}"'})
    response = request.response
    response.content_type = "application/json"
    response.body = data
    response.etag = tag
    return response


def check_if_match(request: Request, current: dict[str, Any]) -> None:
    """412 when ``If-Match`` names a representation that is no longer current."""
    if "If-Match" in request.headers and etag_of(current) not in request.if_match:
        raise APIProblem(412, "The resource has changed since you read it; fetch it again.")


def created(request: Request, route: str, **params: Any) -> None:
    request.response.status = 201
    request.response.headers["Location"] = request.route_url(route, **params)


def no_content() -> Response:
    return Response(status=204)
