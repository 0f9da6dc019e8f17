"""Security policy: identities, principals, the root ACL, CSRF.

Core knows no accounts: where identities come from is plugged in by a feature with
``config.add_identity_source(kind, lookup, ...)`` (``thebot.accounts`` adds its API tokens
and its server-side session cookie). Permission names live in ``thebot.permissions``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pyramid.authorization import ALL_PERMISSIONS, ACLHelper, Allow, Authenticated, Deny, Everyone
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.response import Response
from zope.interface import implementer

from thebot.errors import problem_response
from thebot.permissions import AUTHENTICATED, DENY_ALL, MANAGE_SYSTEM, VIEW_AUDIT_LOG, VIEW_SYSTEM

if TYPE_CHECKING:
    from thebot.api import Request

MONITOR_PRINCIPAL = "system:monitor"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Identity:
    """Who is calling: ``kind`` is ``user`` or ``monitor`` (the metrics token)."""

    kind: str
    user: Any = None
    principals: list[str] = field(default_factory=list)
    token: Any = None  # the AuthToken used, for refresh/logout
    session: Any = None  # the server-side session used (SessionData), for logout/CSRF

    @property
    def userid(self) -> str:
        return f"user:{self.user.id}" if self.user is not None else self.kind


def bearer_credentials(request: Any) -> str | None:
    """The key of ``Authorization: Token|Bearer <key>`` of anything with ``headers`` (a
    request, or the gateway's WebSocket handshake)."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() in {"token", "bearer"} and credentials.strip():
        return credentials.strip()
    return None


def user_identity(user: Any, *, token: Any = None, session: Any = None) -> Identity:
    principals = [f"user:{user.id}", f"role:{user.role}"]
    return Identity(kind="user", user=user, principals=principals, token=token, session=session)


# What an identity source looks up: ``(request, credentials or cookie value) -> Identity``.
IdentityLookup = Callable[[Any, str], "Identity | None"]
# The CSRF token of a cookie session: ``(request, session) -> str``.
CSRFToken = Callable[[Any, Any], str]
SOURCES_KEY = "thebot.identity_sources"  # registry: kind -> IdentitySource
SOURCE_KINDS = ("token", "cookie")


@dataclass(frozen=True)
class IdentitySource:
    """Where identities come from, plugged in by a feature (``config.add_identity_source``).

    ``token``: ``lookup(request, credentials)`` for ``Authorization: Token|Bearer``;
    ``cookie``: ``lookup(request, value)`` for the cookie ``cookie_name``, and
    ``csrf_token(request, session)`` derives the CSRF token of the session it returned.
    """

    kind: str
    lookup: IdentityLookup
    cookie_name: str | None = None
    csrf_token: CSRFToken | None = None


def add_identity_source(
    config: Any,
    kind: str,
    lookup: IdentityLookup,
    *,
    cookie_name: str | None = None,
    csrf_token: CSRFToken | None = None,
) -> None:
    """Config directive: ``config.add_identity_source("token", lookup)`` or
    ``config.add_identity_source("cookie", lookup, cookie_name=..., csrf_token=...)``.
    One source per kind (a second one is a configuration conflict)."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"identity source kind must be one of {SOURCE_KINDS}, not {kind!r}")
    if kind == "cookie" and (not cookie_name or csrf_token is None):
        raise ValueError("a cookie identity source needs cookie_name and csrf_token")
    source = IdentitySource(kind, lookup, cookie_name, csrf_token)

    def register() -> None:
        config.registry.setdefault(SOURCES_KEY, {})[kind] = source

    config.action(("thebot.identity_source", kind), register)


def identity_source(registry: Any, kind: str) -> IdentitySource | None:
    return registry.get(SOURCES_KEY, {}).get(kind)


class SecurityPolicy:
    """Identity from the ``Authorization`` header, else the session cookie; ACLs decide."""

    def __init__(self, settings: dict[str, Any]):
        self.metrics_token = settings.get("metrics_token")
        self.helper = ACLHelper()

    def identity(self, request: Request) -> Identity | None:
        if not hasattr(request, "_thebot_identity"):
            request._thebot_identity = self._load_identity(request)
        return request._thebot_identity

    def _load_identity(self, request: Request) -> Identity | None:
        # A token wins: a request that sends one is judged by it alone (a bad token with a
        # good cookie stays anonymous rather than silently switching credentials). Other
        # schemes (Basic from a staging proxy) are not ours and leave the cookie in charge.
        credentials = bearer_credentials(request)
        if credentials:
            return self._token_identity(request, credentials)
        source = identity_source(request.registry, "cookie")
        if source is None:
            return None
        value = request.cookies.get(source.cookie_name)
        return source.lookup(request, value) if value else None

    def _token_identity(self, request: Request, credentials: str) -> Identity | None:
        if self.metrics_token and hmac.compare_digest(
            credentials.encode(), self.metrics_token.encode()
        ):
            return Identity(kind="monitor", principals=[MONITOR_PRINCIPAL])
        source = identity_source(request.registry, "token")
        return source.lookup(request, credentials) if source is not None else None

    def authenticated_userid(self, request: Request) -> str | None:
        identity = self.identity(request)
        return identity.userid if identity else None

    def effective_principals(self, request: Request) -> list[str]:
        principals = [Everyone]
        identity = self.identity(request)
        if identity is not None:
            if identity.kind == "user":
                principals.append(Authenticated)
            principals.extend(identity.principals)
        return principals

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        return self.helper.permits(context, self.effective_principals(request), permission)

    def remember(self, request: Request, userid: Any, **kw: Any) -> list:
        return []

    def forget(self, request: Request, **kw: Any) -> list:
        return []


@implementer(ICSRFStoragePolicy)
class SessionCSRFPolicy:
    """CSRF tokens derived from the caller's cookie session by its identity source."""

    def new_csrf_token(self, request: Request) -> str:
        # The token is a function of the session key: a new token means a new session.
        return self.get_csrf_token(request)

    def get_csrf_token(self, request: Request) -> str:
        session = getattr(request.identity, "session", None)
        source = identity_source(request.registry, "cookie")
        if session is None or source is None or source.csrf_token is None:
            return ""
        return source.csrf_token(request, session)

    def check_csrf_token(self, request: Request, supplied_token: str) -> bool:
        expected = self.get_csrf_token(request)
        return (
            bool(expected)
            and bool(supplied_token)
            and hmac.compare_digest(expected, supplied_token)
        )


def cookie_authenticated(request: Request) -> bool:
    """CSRF applies only to callers identified by the session cookie, not by a token."""
    return getattr(request.identity, "session", None) is not None


def csrf_failed_view(exc: Exception, request: Request) -> Response:
    return problem_response(
        403,
        f"CSRF check failed: send the token from GET /api/auth/csrf/ in the {CSRF_HEADER} header.",
        request=request,
    )


class Root:
    """Default context: signed-in users, and system endpoints for admins and monitoring."""

    __acl__ = [
        (Allow, "role:admin", (VIEW_SYSTEM, MANAGE_SYSTEM, VIEW_AUDIT_LOG)),
        # Machine credentials see health, metrics, components and uptime: VIEW_SYSTEM only.
        (Allow, MONITOR_PRINCIPAL, VIEW_SYSTEM),
        (Allow, Authenticated, AUTHENTICATED),
        (Deny, Everyone, ALL_PERMISSIONS),
    ]

    def __init__(self, request: Request):
        self.request = request


def includeme(config: Any) -> None:
    settings = config.get_settings()
    config.set_security_policy(SecurityPolicy(settings))
    config.set_root_factory(Root)
    config.set_default_permission(DENY_ALL)
    # Browsers send Origin on unsafe requests; front ends on the CORS origins are trusted
    # (Pyramid defaults the setting to an empty list, hence no setdefault).
    if not settings.get("pyramid.csrf_trusted_origins"):
        settings["pyramid.csrf_trusted_origins"] = [
            urlsplit(o).netloc for o in settings.get("cors_allowed_origins", []) if "//" in o
        ]
    config.set_csrf_storage_policy(SessionCSRFPolicy())
    config.set_default_csrf_options(
        require_csrf=True,
        token=None,  # header only: bodies are JSON
        header=CSRF_HEADER,
        check_origin=True,
        allow_no_origin=True,  # the token is the defence; Origin is checked when sent
        callback=cookie_authenticated,
    )
    config.add_exception_view(csrf_failed_view, BadCSRFToken)
    config.add_exception_view(csrf_failed_view, BadCSRFOrigin)
    config.add_directive("add_identity_source", add_identity_source)
