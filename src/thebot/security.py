"""Security policy: identities, principals, permission names, the root ACL."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone, ACLHelper

# Permission names: every view names one of these (or NO_PERMISSION_REQUIRED for public views).
VIEW_SYSTEM = "system.view"
MANAGE_SYSTEM = "system.manage"
DENY_ALL = "thebot.nobody"  # the default permission: a view that forgot to declare is closed

MONITOR_PRINCIPAL = "system:monitor"


@dataclass
class Identity:
    """Who is calling: ``kind`` is ``user`` or ``monitor`` (the metrics token)."""

    kind: str
    user: Any = None
    principals: list[str] = field(default_factory=list)
    token: Any = None  # the AuthToken used, for refresh/logout
    session: Any = None  # the server-side session used, for logout/CSRF

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
    """Identity from the ``Authorization`` header; ``ACLHelper`` decides."""

    def __init__(self, settings: dict[str, Any]):
        self.metrics_token = settings.get("metrics_token")
        self.helper = ACLHelper()

    def identity(self, request: Any) -> Identity | None:
        if not hasattr(request, "_thebot_identity"):
            request._thebot_identity = self._load_identity(request)
        return request._thebot_identity

    def _load_identity(self, request: Any) -> Identity | None:
        credentials = bearer_credentials(request)
        if not credentials:
            return None
        if self.metrics_token and hmac.compare_digest(credentials.encode(), self.metrics_token.encode()):
            return Identity(kind="monitor", principals=[MONITOR_PRINCIPAL])
        from thebot.accounts.tokens import find_token

        token = find_token(request.dbsession, credentials)
        if token is None or not token.user.is_active:
            return None
        return user_identity(token.user, token=token)

    def authenticated_userid(self, request: Any) -> str | None:
        identity = self.identity(request)
        return identity.userid if identity else None

    def effective_principals(self, request: Any) -> list[str]:
        principals = [Everyone]
        identity = self.identity(request)
        if identity is not None:
            principals.append(Authenticated)
            principals.extend(identity.principals)
        return principals

    def permits(self, request: Any, context: Any, permission: str) -> Any:
        return self.helper.permits(context, self.effective_principals(request), permission)

    def remember(self, request: Any, userid: Any, **kw: Any) -> list:
        return []

    def forget(self, request: Any, **kw: Any) -> list:
        return []


class Root:
    """Default context: system endpoints for admins and the monitoring token."""

    __acl__ = [
        (Allow, "role:admin", (VIEW_SYSTEM, MANAGE_SYSTEM)),
        (Allow, MONITOR_PRINCIPAL, VIEW_SYSTEM),
        (Deny, Everyone, ALL_PERMISSIONS),
    ]

    def __init__(self, request: Any):
        self.request = request


def includeme(config: Any) -> None:
    config.set_security_policy(SecurityPolicy(config.get_settings()))
    config.set_root_factory(Root)
    config.set_default_permission(DENY_ALL)
