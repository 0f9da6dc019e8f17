"""Accounts API: users and role profiles. Relationships are in ``views_relationships``.

Each view parses (schema), is authorized by its resource's ACL (``resources``), calls
``service`` and audits. Who may see whom: ``visibility``.
"""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.accounts.models import User
from thebot.accounts.users import profiles, service
from thebot.accounts.users.resources import UserResource, UsersRoot, current_user
from thebot.accounts.users.schemas import (
    CreateUserRequest,
    ProfileSchema,
    UpdateProfileRequest,
    UpdateUserRequest,
    UserPage,
    UserSchema,
    UsersListRequest,
)
from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.errors import problem_response
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    DEACTIVATE_USER,
    EDIT_PROFILE,
    EDIT_USER,
    MANAGE_USERS,
    VIEW_PRIVATE,
    VIEW_USER,
)
from thebot.responses import check_if_match, created, no_content, with_etag
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["accounts"]

users = ApiService(
    name="accounts_users",
    path="/api/accounts/users/",
    description="Accounts of every role (admins)",
    factory=UsersRoot,
)
user = ApiService(
    name="accounts_user",
    path="/api/accounts/users/{user_id}/",
    description="One account; DELETE deactivates it",
    factory=UserResource,
)
profile = ApiService(
    name="accounts_user_profile",
    path="/api/accounts/users/{user_id}/profile/",
    description="The role profile of an account (private fields only for related people)",
    factory=UserResource,
)


# --- helpers shared by the accounts views ----------------------------------------------


def min_password_length(request: Request) -> int:
    return int(request.registry.settings.get("password_min_length") or 8)


def denied(request: Request, exc: service.ProtectedFieldsDenied, target: User) -> Response:
    """Refuse a protected-field change and keep the audit event (the transaction commits)."""
    audit(
        request,
        "account.protected_field_denied",
        target_type="user",
        target_id=target.id,
        fields=exc.fields,
    )
    return problem_response(exc.status, exc.detail, request=request, errors=exc.errors)


# --- users ------------------------------------------------------------------------------


@users.get(
    permission=MANAGE_USERS,
    schema=UsersListRequest(),
    tags=TAGS,
    response_schemas=responds(UserPage, "A page of users"),
)
def list_users(request: Request) -> dict[str, Any]:
    """Users, newest first; filters ``role``, ``q`` (email, username, names), ``is_active``."""
    query = request.validated["querystring"]
    stmt = service.users_query(
        role=query.get("role"), q=query.get("q"), is_active=query.get("is_active")
    )
    rows, next_cursor = paginate_request(request, stmt, [(User.id, "desc")])
    return page_body([service.user_data(u) for u in rows], next_cursor)


@users.post(
    permission=MANAGE_USERS,
    schema=CreateUserRequest(),
    tags=TAGS,
    response_schemas=responds(UserSchema, "The new account", 201),
)
def create_user(request: Request) -> dict[str, Any]:
    """Create an account of any role; without ``password`` one is generated and shown once."""
    body = request.validated["body"]
    new, generated = service.create_user(
        request.dbsession,
        actor=current_user(request),
        min_password_length=min_password_length(request),
        **body,
    )
    audit(request, "account.created", target_type="user", target_id=new.id, role=new.role)
    created(request, "accounts_user", user_id=new.id)
    data = service.user_data(new)
    if generated is not None:
        request.response.cache_control = "no-store"
        data["credentials"] = {"username": new.username, "password": generated}
    return data


@user.get(
    permission=VIEW_USER,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(UserSchema, "The account"),
)
def get_user(request: Request) -> dict[str, Any]:
    return with_etag(request, service.user_data(request.context.user))


@user.patch(
    permission=EDIT_USER,
    schema=UpdateUserRequest(),
    tags=TAGS,
    response_schemas=responds(UserSchema, "The updated account"),
)
def patch_user(request: Request) -> Any:
    """Names and phone: the user, their tutor, admins. role/email/is_active/password: admins."""
    target = request.context.user
    check_if_match(request, service.user_data(target))
    changes = dict(request.validated["body"])
    role_before = target.role
    try:
        changed = service.update_user(
            request.dbsession,
            current_user(request),
            target,
            changes,
            min_password_length=min_password_length(request),
            registry=request.registry,
        )
    except service.ProtectedFieldsDenied as exc:
        return denied(request, exc, target)
    if changed:
        details: dict[str, Any] = {"fields": changed}
        if "role" in changed:
            details.update(role_from=role_before, role_to=target.role)
        audit(request, "account.updated", target_type="user", target_id=target.id, **details)
        if "is_active" in changed and not target.is_active:
            audit(request, "account.deactivated", target_type="user", target_id=target.id)
    return with_etag(request, service.user_data(target))


@user.delete(
    permission=DEACTIVATE_USER,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deactivated", 204),
)
def delete_user(request: Request) -> Response:
    """Deactivate the account (it is kept) and revoke its tokens and sessions."""
    target = request.context.user
    if service.deactivate_user(request.dbsession, current_user(request), target, request.registry):
        audit(request, "account.deactivated", target_type="user", target_id=target.id)
    return no_content()


# --- profiles ---------------------------------------------------------------------------


def visible_profile(request: Request) -> dict[str, Any]:
    context = request.context
    return profiles.profile_data(
        request.dbsession,
        context.user,
        viewer=current_user(request),
        private=context.allows(VIEW_PRIVATE),
    )


@profile.get(
    permission=VIEW_USER,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(ProfileSchema, "The profile as the caller may see it"),
)
def get_profile(request: Request) -> dict[str, Any]:
    """The role profile; private fields (goal, tutor, parents, bio, experience) only for
    admins, the user, their teachers/tutor and their parents."""
    return with_etag(request, visible_profile(request))


@profile.patch(
    permission=EDIT_PROFILE,
    schema=UpdateProfileRequest(),
    tags=TAGS,
    response_schemas=responds(ProfileSchema, "The updated profile"),
)
def patch_profile(request: Request) -> Any:
    """Fields of the user's role; ``tutor_id`` (a student's tutor) only by admins."""
    target = request.context.user
    check_if_match(request, visible_profile(request))
    try:
        changed = profiles.update_profile(
            request.dbsession, current_user(request), target, dict(request.validated["body"])
        )
    except service.ProtectedFieldsDenied as exc:
        return denied(request, exc, target)
    if changed:
        audit(
            request,
            "account.updated",
            target_type="user",
            target_id=target.id,
            profile_fields=changed,
        )
    return with_etag(request, visible_profile(request))
