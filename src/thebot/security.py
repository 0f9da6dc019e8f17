"""Security policy: identities, principals, permission names, the root ACL, CSRF."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pyramid.authorization import ALL_PERMISSIONS, ACLHelper, Allow, Authenticated, Deny, Everyone
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.response import Response
from zope.interface import implementer

# Permission names: every view names one of these (or NO_PERMISSION_REQUIRED for public views).
VIEW_SYSTEM = "system.view"
MANAGE_SYSTEM = "system.manage"
AUTHENTICATED = "authenticated"  # any signed-in user (not the monitoring token)
DENY_ALL = "thebot.nobody"  # the default permission: a view that forgot to declare is closed

# accounts: users and relationships (granted by thebot.accounts.resources)
MANAGE_USERS = "accounts.users.manage"  # list and create accounts of any role
VIEW_USER = "accounts.user.view"
EDIT_USER = "accounts.user.edit"  # protected fields are re-checked in accounts.service
DEACTIVATE_USER = "accounts.user.deactivate"
VIEW_PRIVATE = "accounts.user.view_private"  # private profile fields
EDIT_PROFILE = "accounts.profile.edit"
MANAGE_STUDENTS = "accounts.students.manage"  # a tutor's own students
VIEW_CHILDREN = "accounts.children.view"
UNLINK_CHILD = "accounts.children.unlink"
VIEW_PARENT_LINKS = "accounts.parents.view"
MANAGE_PARENT_LINKS = "accounts.parents.manage"
CREATE_PAIRING_CODE = "accounts.pairing.create"
REDEEM_PAIRING_CODE = "accounts.pairing.redeem"

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
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() in {"token", "bearer"} and credentials.strip():
        return credentials.strip()
    return None


def user_identity(user: Any, *, token: Any = None, session: Any = None) -> Identity:
    principals = [f"user:{user.id}", f"role:{user.role}"]
    return Identity(kind="user", user=user, principals=principals, token=token, session=session)


class SecurityPolicy:
    """Identity from the ``Authorization`` header, else the session cookie; ACLs decide."""

    def __init__(self, settings: dict[str, Any]):
        self.metrics_token = settings.get("metrics_token")
        self.helper = ACLHelper()

    def identity(self, request: Any) -> Identity | None:
        if not hasattr(request, "_thebot_identity"):
            request._thebot_identity = self._load_identity(request)
        return request._thebot_identity

    def _load_identity(self, request: Any) -> Identity | None:
        # A token wins: a request that sends one is judged by it alone (a bad token with a
        # good cookie stays anonymous rather than silently switching credentials). Other
        # schemes (Basic from a staging proxy) are not ours and leave the cookie in charge.
        credentials = bearer_credentials(request)
        if credentials:
            return self._token_identity(request, credentials)
        from thebot.accounts.sessions import COOKIE_NAME

        key = request.cookies.get(COOKIE_NAME)
        return self._session_identity(request, key) if key else None

    def _token_identity(self, request: Any, credentials: str) -> Identity | None:
        if self.metrics_token and hmac.compare_digest(
            credentials.encode(), self.metrics_token.encode()
        ):
            return Identity(kind="monitor", principals=[MONITOR_PRINCIPAL])
        from thebot.accounts.tokens import find_token

        token = find_token(request.dbsession, credentials)
        if token is None or not token.user.is_active:
            return None
        return user_identity(token.user, token=token)

    def _session_identity(self, request: Any, key: str) -> Identity | None:
        from thebot.accounts.models import User
        from thebot.accounts.sessions import load_session

        data = load_session(request.registry, request.dbsession, key)
        if data is None:
            return None
        user = request.dbsession.get(User, data.user_id)
        if user is None or not user.is_active:
            return None
        return user_identity(user, session=data)

    def authenticated_userid(self, request: Any) -> str | None:
        identity = self.identity(request)
        return identity.userid if identity else None

    def effective_principals(self, request: Any) -> list[str]:
        principals = [Everyone]
        identity = self.identity(request)
        if identity is not None:
            if identity.kind == "user":
                principals.append(Authenticated)
            principals.extend(identity.principals)
        return principals

    def permits(self, request: Any, context: Any, permission: str) -> Any:
        return self.helper.permits(context, self.effective_principals(request), permission)

    def remember(self, request: Any, userid: Any, **kw: Any) -> list:
        return []

    def forget(self, request: Any, **kw: Any) -> list:
        return []


@implementer(ICSRFStoragePolicy)
class SessionCSRFPolicy:
    """CSRF tokens derived from the caller's server-side session (see accounts.sessions)."""

    def new_csrf_token(self, request: Any) -> str:
        # The token is a function of the session key: a new token means a new session.
        return self.get_csrf_token(request)

    def get_csrf_token(self, request: Any) -> str:
        from thebot.accounts.sessions import csrf_token

        session = getattr(request.identity, "session", None)
        if session is None:
            return ""
        return csrf_token(request.registry.settings["secret_key"], session)

    def check_csrf_token(self, request: Any, supplied_token: str) -> bool:
        from thebot.accounts.sessions import check_csrf_token

        session = getattr(request.identity, "session", None)
        if session is None:
            return False
        return check_csrf_token(request.registry.settings["secret_key"], session, supplied_token)


def cookie_authenticated(request: Any) -> bool:
    """CSRF applies only to callers identified by the session cookie, not by a token."""
    return getattr(request.identity, "session", None) is not None


def csrf_failed_view(exc: Exception, request: Any) -> Response:
    from thebot.errors import problem_response

    return problem_response(
        403,
        f"CSRF check failed: send the token from GET /api/auth/csrf/ in the {CSRF_HEADER} header.",
        request=request,
    )


class Root:
    """Default context: signed-in users, and system endpoints for admins and monitoring."""

    __acl__ = [
        (Allow, "role:admin", (VIEW_SYSTEM, MANAGE_SYSTEM)),
        (Allow, MONITOR_PRINCIPAL, VIEW_SYSTEM),
        (Allow, Authenticated, AUTHENTICATED),
        (Deny, Everyone, ALL_PERMISSIONS),
    ]

    def __init__(self, request: Any):
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
