"""Route factories of the relationships API: a tutor's students, a parent's children, parent
links and pairing codes (the links of one user hang off ``users.resources.UserResource``)."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from thebot.accounts.models import ParentLink, Role
from thebot.accounts.users.resources import ADMIN, DENY_REST, viewer_of
from thebot.api import Request, parse_id
from thebot.errors import APIProblem
from thebot.permissions import (
    CREATE_PAIRING_CODE,
    MANAGE_STUDENTS,
    REDEEM_PAIRING_CODE,
    UNLINK_CHILD,
    VIEW_CHILDREN,
)


class RelationshipsRoot:
    """Collections of the relationships API: what each role may do before any object is
    chosen."""

    __acl__ = [
        (Allow, ADMIN, (CREATE_PAIRING_CODE, UNLINK_CHILD)),
        (Allow, f"role:{Role.TUTOR.value}", (MANAGE_STUDENTS, CREATE_PAIRING_CODE)),
        (Allow, f"role:{Role.STUDENT.value}", CREATE_PAIRING_CODE),
        (Allow, f"role:{Role.PARENT.value}", (VIEW_CHILDREN, REDEEM_PAIRING_CODE)),
        DENY_REST,
    ]

    def __init__(self, request: Request):
        self.request = request


class ChildLinkResource:
    """``/children/{user_id}/``: the link between a parent and one of their children.

    A parent addresses their own link; an admin names the parent with ``?parent=<id>``.
    Other roles never reach the lookup (403); a link that does not exist is a 404.
    """

    def __init__(self, request: Request):
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
