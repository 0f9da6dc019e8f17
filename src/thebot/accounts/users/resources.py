"""Route factories of the accounts API: resources whose ``__acl__`` comes from relationships.

A user resource's ACL grants the caller what their relation to that user allows (see
``thebot.accounts.relationships.visibility.relations``). A caller who may not even see the user gets a
404 from the factory itself, so existence is never revealed; anonymous callers are not
looked up at all and get the 401 of the forbidden view.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from thebot.accounts.models import ParentLink, Role, User
from thebot.accounts.relationships import visibility
from thebot.api import parse_id
from thebot.errors import APIProblem
from thebot.security import (
    CREATE_PAIRING_CODE,
    DEACTIVATE_USER,
    EDIT_PROFILE,
    EDIT_USER,
    MANAGE_PARENT_LINKS,
    MANAGE_STUDENTS,
    MANAGE_USERS,
    REDEEM_PAIRING_CODE,
    UNLINK_CHILD,
    VIEW_CHILDREN,
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
# What each relation of the caller to a user grants (relations: thebot.accounts.relationships.visibility).
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


def viewer_of(request: Any) -> User | None:
    """The calling user (``None`` for anonymous and for the metrics token)."""
    identity = request.identity
    return getattr(identity, "user", None)


class AccountsRoot:
    """Collections of the accounts API: what each role may do before any object is chosen."""

    __acl__ = [
        (Allow, ADMIN, (MANAGE_USERS, CREATE_PAIRING_CODE, UNLINK_CHILD)),
        (Allow, f"role:{Role.TUTOR.value}", (MANAGE_STUDENTS, CREATE_PAIRING_CODE)),
        (Allow, f"role:{Role.STUDENT.value}", CREATE_PAIRING_CODE),
        (Allow, f"role:{Role.PARENT.value}", (VIEW_CHILDREN, REDEEM_PAIRING_CODE)),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request


class UserResource:
    """One user, seen by the caller: ``__acl__`` from the caller's relation to that user."""

    def __init__(self, request: Any, user: User | None = None):
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


class ChildLinkResource:
    """``/children/{user_id}/``: the link between a parent and one of their children.

    A parent addresses their own link; an admin names the parent with ``?parent=<id>``.
    Other roles never reach the lookup (403); a link that does not exist is a 404.
    """

    def __init__(self, request: Any):
        self.request = request
        self.link: ParentLink | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None or viewer.role not in (Role.PARENT.value, Role.ADMIN.value):
            return
        child_id = parse_id(request.matchdict.get("user_id"))
        if viewer.role == Role.PARENT.value:
            # A parent only ever addresses their own links; naming another parent finds none.
            named = request.GET.get("parent")
            parent_id = viewer.id if named is None or parse_id(named) == viewer.id else None
        else:
            parent_id = parse_id(request.GET.get("parent"))
            if parent_id is None:
                raise APIProblem(
                    400,
                    "Name the parent whose link to remove with ?parent=<id>.",
                    errors=[
                        {
                            "location": "querystring",
                            "name": "parent",
                            "description": "Required: a parent user id",
                        }
                    ],
                )
        link = None
        if child_id is not None and parent_id is not None:
            link = request.dbsession.execute(
                select(ParentLink).where(
                    ParentLink.student_id == child_id, ParentLink.parent_id == parent_id
                )
            ).scalar_one_or_none()
        if link is None:
            raise HTTPNotFound()
        self.link = link
        self.__acl__ = [
            (Allow, ADMIN, UNLINK_CHILD),
            (Allow, f"user:{link.parent_id}", UNLINK_CHILD),
            DENY_REST,
        ]
