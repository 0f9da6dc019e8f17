"""Route factories of the media endpoints: who may upload, replace, remove and read files.

A file is as visible as the object it belongs to (``MediaFile.owner_type``/``owner_id``):
the feature owning that kind of object says who may read it, with
``config.add_media_owner(owner_type, can_view)`` in its ``includeme`` (materials: material
and submission files; chat: attachments). Avatars (``user``) are this feature's own:
whoever may see the user (``thebot.accounts.relationships.visibility.can_see``).

Callers who may not see the object get a 404 from the factory itself, so a file's existence
is never revealed; anonymous callers are not looked up at all and get the forbidden view's
401.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import User
from thebot.accounts.users.resources import ADMIN, DENY_REST, UserResource, viewer_of
from thebot.media.models import MediaFile
from thebot.media.service import STORAGE_NAME_RE
from thebot.permissions import MANAGE_AVATAR, VIEW_MEDIA


def can_view_avatar(dbsession: Session, viewer: User, media: MediaFile) -> bool:
    """An avatar is readable by whoever may see its user."""
    user = dbsession.get(User, media.owner_id)
    return user is not None and people.can_see(dbsession, viewer, user)


OWNERS_KEY = "media_owners"  # registry: owner_type -> can_view(dbsession, viewer, media)


def add_media_owner(config: Any, owner_type: str, can_view: Any) -> None:
    """``config.add_media_owner(owner_type, can_view)``: another feature's files (e.g. chat
    attachments) are readable by whoever ``can_view(dbsession, viewer, media)`` admits."""

    def register() -> None:
        config.registry.setdefault(OWNERS_KEY, {})[owner_type] = can_view

    config.action(("thebot.media.owner", owner_type), register)


def owner_allows(request: Any, viewer: User, media: MediaFile) -> bool:
    check = request.registry.get(OWNERS_KEY, {}).get(media.owner_type)
    return bool(check is not None and check(request.dbsession, viewer, media))


class MediaResource:
    """``/media/{path}``: one stored file, readable by those who may see its owner."""

    def __init__(self, request: Any):
        self.request = request
        self.media: MediaFile | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return  # anonymous: no lookup; the forbidden view answers 401
        name = request.matchdict.get("path") or ""
        if not STORAGE_NAME_RE.fullmatch(name):  # traversal, absolute, encoded: never a name
            raise HTTPNotFound()
        media = request.dbsession.scalar(select(MediaFile).where(MediaFile.storage_name == name))
        if media is None or not owner_allows(request, viewer, media):
            raise HTTPNotFound()
        self.media = media
        self.__acl__ = [(Allow, f"user:{viewer.id}", VIEW_MEDIA), DENY_REST]


class AvatarResource(UserResource):
    """``/api/accounts/users/{user_id}/avatar/``: the user and admins change it; whoever may
    see the user reads it (404 for the rest, as for the user itself)."""

    def __init__(self, request: Any):
        super().__init__(request)
        if self.user is not None:
            own = [(Allow, ADMIN, MANAGE_AVATAR), (Allow, f"user:{self.user.id}", MANAGE_AVATAR)]
            self.__acl__ = own + self.__acl__
