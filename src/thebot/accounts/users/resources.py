"""Route factories of the users API: the user collection, and one user seen by the caller.

A user resource's ACL grants the caller what their relation to that user allows (see
``thebot.accounts.visibility.relations``). A caller who may not even see the
user gets a 404 from the factory itself, so existence is never revealed; anonymous callers
are not looked up at all and get the 401 of the forbidden view.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound

from thebot.accounts import visibility
from thebot.accounts.models import Role, User
from thebot.api import Request, parse_id
from thebot.permissions import (
    CREATE_PAIRING_CODE,
    DEACTIVATE_USER,
    EDIT_PROFILE,
    EDIT_USER,
    MANAGE_PARENT_LINKS,
    MANAGE_USERS,
    VIEW_PARENT_LINKS,
    VIEW_PRIVATE,
    VIEW_USER,
)

ADMIN = f"role:{Role.ADMIN.value}"
DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)

ADMIN_ON_USER = (
    VIEW_USER,
    VIEW_PRIVATE,
    EDIT_USER,
    EDIT_PROFILE,
    DEACTIVATE_USER,
    VIEW_PARENT_LINKS,
    MANAGE_PARENT_LINKS,
    CREATE_PAIRING_CODE,
)
SELF_ON_USER = (VIEW_USER, VIEW_PRIVATE, EDIT_USER, EDIT_PROFILE)
SELF_ON_STUDENT = (*SELF_ON_USER, VIEW_PARENT_LINKS, CREATE_PAIRING_CODE)
# What each relation of the caller to a user grants (relations: ``visibility.relations``).
RELATION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    visibility.TUTOR: (
        VIEW_USER,
        VIEW_PRIVATE,
        EDIT_USER,
        EDIT_PROFILE,
        VIEW_PARENT_LINKS,
        MANAGE_PARENT_LINKS,
        CREATE_PAIRING_CODE,
    ),
    visibility.TEACHES: (VIEW_USER, VIEW_PRIVATE),
    visibility.PARENT: (VIEW_USER, VIEW_PRIVATE),
    visibility.TAUGHT: (VIEW_USER, VIEW_PRIVATE),
    visibility.PARENT_OF_TAUGHT: (VIEW_USER, VIEW_PRIVATE),
    visibility.CHILD: (VIEW_USER,),
    visibility.TUTOR_OF_CHILD: (VIEW_USER,),
}


def viewer_of(request: Request) -> User | None:
    """The calling user (``None`` for anonymous and for the metrics token)."""
    identity = request.identity
    return getattr(identity, "user", None)


def current_user(request: Request) -> User:
    """The signed-in caller, for views whose permission only signed-in users hold: the ACL
    has refused everyone else already; this narrows the type and fails closed all the same
    (anonymous: 401, the metrics token: 403, as the ACL answers)."""
    user = viewer_of(request)
    if user is None:
        raise HTTPForbidden()
    return user


class UsersRoot:
    """The user collection: admins list and create accounts of any role."""

    __acl__ = [(Allow, ADMIN, MANAGE_USERS), DENY_REST]

    def __init__(self, request: Request):
        self.request = request


class UserResource:
    """One user, seen by the caller: ``__acl__`` from the caller's relation to that user."""

    def __init__(self, request: Request, user: User | None = None):
        self.request = request
        viewer = viewer_of(request)
        self.viewer = viewer
        self.user: User | None = None
        self.relations: frozenset[str] = frozenset()
        self.__acl__: list[Any] = [DENY_REST]
        if viewer is None and user is None:
            return  # anonymous: no lookup, so no existence oracle; the view answers 401
        if user is None:
            user_id = parse_id(request.matchdict.get("user_id"))
            user = request.dbsession.get(User, user_id) if user_id else None
        if user is None:
            raise HTTPNotFound()
        self.user = user
        self.relations = visibility.relations(request.dbsession, viewer, user)
        self.__acl__ = user_acl(user, viewer, self.relations)
        if viewer is not None and not request.has_permission(VIEW_USER, self):
            raise HTTPNotFound()

    def allows(self, permission: str) -> bool:
        return bool(self.request.has_permission(permission, self))


def user_acl(user: User, viewer: User | None, relations: frozenset[str]) -> list[Any]:
    own = SELF_ON_STUDENT if user.role == Role.STUDENT.value else SELF_ON_USER
    acl: list[Any] = [(Allow, ADMIN, ADMIN_ON_USER), (Allow, f"user:{user.id}", own)]
    if viewer is not None:
        granted = sorted({p for rel in relations for p in RELATION_PERMISSIONS.get(rel, ())})
        if granted:
            acl.append((Allow, f"user:{viewer.id}", tuple(granted)))
    acl.append(DENY_REST)
    return acl
