"""``/api/auth/``: login, logout, refresh, me, CSRF, password change and reset."""

from __future__ import annotations

import hashlib
from typing import Any

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.accounts.auth import service as auth
from thebot.accounts.auth.ratelimit import enforce
from thebot.accounts.auth.schemas import (
    AcceptedResponse,
    ChangePasswordRequest,
    CsrfResponse,
    EmptyResponse,
    LoginRequest,
    LoginResponse,
    MeResponse,
    NoBody,
    NoQuery,
    PasswordResetConfirmRequest,
    PasswordResetRequest,
)
from thebot.accounts.credentials import sessions
from thebot.accounts.credentials.passwords import verify_password
from thebot.accounts.models import User
from thebot.api import JSON_RE, ApiService, Request
from thebot.audit import audit
from thebot.errors import problem_response
from thebot.permissions import AUTHENTICATED
from thebot.tasks import enqueue

TAGS = ["auth"]
WRONG_PASSWORD = "The current password is incorrect."  # noqa: S105 - a message
RESET_ACCEPTED = (
    "If an active account uses this email address, a password reset message is on its way."
)

login = ApiService(name="auth_login", path="/api/auth/login/", description="Log in")
logout = ApiService(name="auth_logout", path="/api/auth/logout/", description="Log out")
refresh = ApiService(name="auth_refresh", path="/api/auth/refresh/", description="Rotate")
me = ApiService(name="auth_me", path="/api/auth/me/", description="The caller")
csrf = ApiService(name="auth_csrf", path="/api/auth/csrf/", description="CSRF token")
change_password = ApiService(
    name="auth_change_password", path="/api/auth/change-password/", description="Change password"
)
password_reset = ApiService(
    name="auth_password_reset", path="/api/auth/password-reset/", description="Request a reset"
)
password_reset_confirm = ApiService(
    name="auth_password_reset_confirm",
    path="/api/auth/password-reset/confirm/",
    description="Set a new password with a reset token",
)


def _client_ip(request: Request) -> str:
    return getattr(request, "client_ip", None) or request.remote_addr or "-"


def _rate_key(request: Request, subject: str) -> str:
    # The login or email is hashed: limiter keys (and their audit) need no personal data.
    return f"{_client_ip(request)}|{hashlib.sha256(subject.encode()).hexdigest()[:24]}"


def json_only(request: Request, **kwargs: Any) -> None:
    """Auth bodies are JSON: a cross-site HTML form cannot log a browser in (login CSRF)."""
    if request.body and not JSON_RE.match(request.content_type or ""):
        request.errors.add(
            "header", "Content-Type", f"Expected application/json, got {request.content_type}"
        )
        request.errors.status = 400


def _no_content(request: Request) -> Response:
    response = request.response
    response.status_int = 204
    response.content_type = None
    return response


def _token_result(request: Request, user: User, key: str, token: Any) -> dict[str, Any]:
    request.response.cache_control = "no-store"
    return {
        "token": key,
        "expires_at": token.expires_at.isoformat(),
        "user": auth.user_payload(request.dbsession, user),
    }


def _session_result(request: Request, user: User, data: sessions.SessionData) -> dict[str, Any]:
    sessions.set_cookie(request, request.response, data)
    request.response.cache_control = "no-store"
    return {
        "token": None,
        "expires_at": data.expires_at.isoformat(),
        "user": auth.user_payload(request.dbsession, user),
        "csrf_token": sessions.csrf_token(request.registry.settings["secret_key"], data),
    }


def _start_session(request: Request, user: User) -> sessions.SessionData:
    return sessions.create_session(
        request.registry,
        request.dbsession,
        user.id,
        ip=_client_ip(request),
        user_agent=request.user_agent,
    )


@login.post(
    permission=NO_PERMISSION_REQUIRED,
    schema=LoginRequest(),
    validators=(json_only,),
    tags=TAGS,
    response_schemas={"200": LoginResponse(description="Logged in")},
    problems=(401,),  # wrong login or password (documented in the OpenAPI document)
)
def post_login(request: Request) -> Any:
    """Email or username and password: an API token, or a browser session with a cookie."""
    body = request.validated["body"]
    settings = request.registry.settings
    name = auth.normalize_login(body["login"])
    subject = auth.limit_subject(request.dbsession, name)  # one counter per account
    enforce(request, "login", _rate_key(request, subject), settings["login_rate_limit"])
    outcome, user = auth.authenticate(request.dbsession, name, body["password"])
    # Failures are answered, not raised, so that their audit events commit.
    if user is None or outcome is auth.LoginOutcome.BAD_PASSWORD:  # None: UNKNOWN_USER
        _audit_failure(request, user, name, outcome)
        return problem_response(
            401, auth.INVALID_CREDENTIALS, request=request, headers={"WWW-Authenticate": "Token"}
        )
    if outcome is auth.LoginOutcome.INACTIVE:
        _audit_failure(request, user, name, outcome)
        return problem_response(403, auth.INACTIVE_ACCOUNT, request=request)
    method = "session" if body["session"] else "token"
    audit(request, "auth.login", actor=user, target_type="user", target_id=user.id, method=method)
    if body["session"]:
        previous = getattr(request.identity, "session", None)
        if previous is not None:  # a browser logging in again starts afresh
            sessions.revoke_session(request.registry, request.dbsession, previous)
        return _session_result(request, user, _start_session(request, user))
    key, token = auth.issue_api_token(request.dbsession, user, settings)
    return _token_result(request, user, key, token)


def _audit_failure(
    request: Request, user: User | None, name: str, outcome: auth.LoginOutcome
) -> None:
    audit(
        request,
        "auth.login_failed",
        target_type="user" if user is not None else None,
        target_id=user.id if user is not None else None,
        login=name[:254],
        reason=outcome.value,
    )


@logout.post(
    permission=AUTHENTICATED,
    schema=NoBody(),
    tags=TAGS,
    response_schemas={"204": EmptyResponse(description="Logged out")},
)
def post_logout(request: Request) -> Response:
    """End the token or browser session this request was made with."""
    identity = request.identity
    if identity.token is not None:
        auth.revoke_token(identity.token)
    if identity.session is not None:
        sessions.revoke_session(request.registry, request.dbsession, identity.session)
        sessions.clear_cookie(request, request.response)
    method = "session" if identity.session is not None else "token"
    audit(request, "auth.logout", target_type="user", target_id=identity.user.id, method=method)
    return _no_content(request)


@refresh.post(
    permission=AUTHENTICATED,
    schema=NoBody(),
    tags=TAGS,
    response_schemas={"200": LoginResponse(description="A new token or session")},
)
def post_refresh(request: Request) -> dict[str, Any]:
    """Replace the current token (or session) by a new one; the old one stops working."""
    identity = request.identity
    user = identity.user
    audit(
        request,
        "auth.refresh",
        target_type="user",
        target_id=user.id,
        method="session" if identity.session is not None else "token",
    )
    if identity.session is not None:
        data = _start_session(request, user)
        sessions.revoke_session(request.registry, request.dbsession, identity.session)
        return _session_result(request, user, data)
    key, token = auth.rotate_token(request.dbsession, identity.token, request.registry.settings)
    return _token_result(request, user, key, token)


@me.get(
    permission=AUTHENTICATED,
    schema=NoQuery(),
    tags=TAGS,
    response_schemas={"200": MeResponse(description="The caller, with role and profile")},
)
def get_me(request: Request) -> dict[str, Any]:
    """The signed-in account with its role profile."""
    return auth.user_payload(request.dbsession, request.identity.user)


@csrf.get(
    permission=NO_PERMISSION_REQUIRED,
    schema=NoQuery(),
    tags=TAGS,
    response_schemas={"200": CsrfResponse(description="The session's CSRF token")},
)
def get_csrf(request: Request) -> dict[str, Any]:
    """The token to send as ``X-CSRF-Token`` with unsafe requests of a browser session."""
    request.response.cache_control = "no-store"
    session = getattr(request.identity, "session", None)
    if session is None:
        return {"csrf_token": None}
    return {"csrf_token": sessions.csrf_token(request.registry.settings["secret_key"], session)}


@change_password.post(
    permission=AUTHENTICATED,
    schema=ChangePasswordRequest(),
    validators=(json_only,),
    tags=TAGS,
    response_schemas={"204": EmptyResponse(description="Password changed")},
)
def post_change_password(request: Request) -> Response:
    """Check the current password, set the new one, end the caller's other logins."""
    identity = request.identity
    user = identity.user
    body = request.validated["body"]
    enforce(
        request,
        "change-password",
        f"user:{user.id}",
        request.registry.settings["login_rate_limit"],
    )
    if not verify_password(user.password_hash, body["old_password"]):
        audit(request, "auth.password_change_failed", target_type="user", target_id=user.id)
        return problem_response(
            400,
            WRONG_PASSWORD,
            request=request,
            errors=[{"location": "body", "name": "old_password", "description": WRONG_PASSWORD}],
        )
    auth.change_password(
        request.registry,
        request.dbsession,
        user,
        body["new_password"],
        keep_token=identity.token,
        keep_session=identity.session,
    )
    audit(request, "auth.password_changed", target_type="user", target_id=user.id)
    return _no_content(request)


@password_reset.post(
    permission=NO_PERMISSION_REQUIRED,
    schema=PasswordResetRequest(),
    validators=(json_only,),
    tags=TAGS,
    response_schemas={"202": AcceptedResponse(description="Always, whether or not it exists")},
)
def post_password_reset(request: Request) -> dict[str, Any]:
    """Email a single-use, one-hour reset token; the answer never tells if the account exists."""
    settings = request.registry.settings
    email = request.validated["body"]["email"].strip().lower()
    enforce(
        request, "password-reset", _rate_key(request, email), settings["password_reset_rate_limit"]
    )
    user, token = auth.start_password_reset(request.dbsession, email)
    if user is not None and token is not None:
        subject, text = auth.reset_email(settings, user, token)
        enqueue(request, "notifications.send_email", [user.email], subject, text)
    # The same event for every address: no target, no "sent" flag. The audit log (and the
    # audit logger's lines) must not become the account-existence oracle the 202 avoids.
    audit(request, "auth.password_reset_requested", email=email)
    request.response.status_int = 202
    return {"detail": RESET_ACCEPTED}


@password_reset_confirm.post(
    permission=NO_PERMISSION_REQUIRED,
    schema=PasswordResetConfirmRequest(),
    validators=(json_only,),
    tags=TAGS,
    response_schemas={"204": EmptyResponse(description="Password set; every login ended")},
)
def post_password_reset_confirm(request: Request) -> Response:
    """Set the password with a reset token; every token and session of the account ends."""
    settings = request.registry.settings
    enforce(
        request,
        "password-reset-confirm",
        _client_ip(request),
        settings["password_reset_rate_limit"],
    )
    body = request.validated["body"]
    user = auth.finish_password_reset(
        request.registry, request.dbsession, body["token"], body["new_password"]
    )
    audit(
        request, "auth.password_reset_completed", actor=user, target_type="user", target_id=user.id
    )
    return _no_content(request)
