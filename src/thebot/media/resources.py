"""Route factories of the media endpoints: who may upload, replace, remove and read files.

A file is as visible as the object it belongs to (``MediaFile.owner_type``/``owner_id``):

- ``material``: whoever may see the material (``thebot.materials.visibility.can_view``) or
  edit it (``can_edit``: they may replace the file);
- ``submission``: whoever may see the submission
  (``thebot.materials.visibility.can_view_submission``: its student, the student's parents,
  the material's author and the teachers/tutors of its subject, admins);
- ``user`` (avatars): whoever may see the user (``thebot.accounts.relationships.visibility.can_see``).

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

from thebot.accounts.models import User
from thebot.accounts.relationships import visibility as people
from thebot.accounts.users.resources import ADMIN, DENY_REST, UserResource, viewer_of
from thebot.api import parse_id
from thebot.materials import visibility
from thebot.materials.models import Material, MaterialSubmission
from thebot.media.models import MediaFile
from thebot.media.service import (
    OWNER_MATERIAL,
    OWNER_SUBMISSION,
    OWNER_USER,
    STORAGE_NAME_RE,
)
from thebot.permissions import MANAGE_AVATAR, UPLOAD_MATERIAL_FILE, VIEW_MEDIA


def can_view_media(dbsession: Session, viewer: User, media: MediaFile) -> bool:
    """The file's owner is visible to ``viewer`` (unknown owner types: nobody)."""
    if media.owner_type == OWNER_MATERIAL:
        material = dbsession.get(Material, media.owner_id)
        if material is None or material.deleted_at is not None:
            return False
        # Those who may replace the file may read it (a subject's teachers, drafts included).
        return visibility.can_view(dbsession, viewer, material) or visibility.can_edit(
            dbsession, viewer, material
        )
    if media.owner_type == OWNER_SUBMISSION:
        submission = dbsession.get(MaterialSubmission, media.owner_id)
        return submission is not None and visibility.can_view_submission(
            dbsession, viewer, submission
        )
    if media.owner_type == OWNER_USER:
        user = dbsession.get(User, media.owner_id)
        return user is not None and people.can_see(dbsession, viewer, user)
    return False


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
        if media is None or not can_view_media(request.dbsession, viewer, media):
            raise HTTPNotFound()
        self.media = media
        self.__acl__ = [(Allow, f"user:{viewer.id}", VIEW_MEDIA), DENY_REST]


class MaterialFileResource:
    """``/api/materials/{material_id}/file/``: editors upload; viewers who may not edit: 403."""

    def __init__(self, request: Any):
        self.request = request
        self.material: Material | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return
        dbsession = request.dbsession
        material_id = parse_id(request.matchdict.get("material_id"))
        material = dbsession.get(Material, material_id) if material_id else None
        if material is None or material.deleted_at is not None:
            raise HTTPNotFound()
        # A subject's teacher may edit a colleague's draft without seeing it in lists.
        if visibility.can_edit(dbsession, viewer, material):
            self.__acl__ = [(Allow, f"user:{viewer.id}", UPLOAD_MATERIAL_FILE), DENY_REST]
        elif not visibility.can_view(dbsession, viewer, material):
            raise HTTPNotFound()
        self.material = material


class AvatarResource(UserResource):
    """``/api/accounts/users/{user_id}/avatar/``: the user and admins change it; whoever may
    see the user reads it (404 for the rest, as for the user itself)."""

    def __init__(self, request: Any):
        super().__init__(request)
        if self.user is not None:
            own = [(Allow, ADMIN, MANAGE_AVATAR), (Allow, f"user:{self.user.id}", MANAGE_AVATAR)]
            self.__acl__ = own + self.__acl__
