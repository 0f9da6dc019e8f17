"""Route factory of one comment: the caller's relation to it and to its material."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound

from thebot.accounts.models import Role
from thebot.accounts.users.resources import DENY_REST, viewer_of
from thebot.api import parse_id
from thebot.materials import visibility
from thebot.materials.materials.resources import grants, load_visible_material
from thebot.materials.models import Material, MaterialComment
from thebot.permissions import DELETE_COMMENT, MODERATE_COMMENT, VIEW_COMMENTS


class CommentResource:
    """``/api/materials/comments/{comment_id}/``: a comment on a material the caller sees.

    Its author and admins delete it; those who may edit the material moderate it.
    """

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.comment: MaterialComment | None = None
        self.material: Material | None = None
        self.moderator = False
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return
        comment_id = parse_id(request.matchdict.get("comment_id"))
        comment = request.dbsession.get(MaterialComment, comment_id) if comment_id else None
        material = (
            load_visible_material(request.dbsession, self.viewer, comment.material_id)
            if comment is not None
            else None
        )
        if comment is None or material is None:
            raise HTTPNotFound()
        self.comment, self.material = comment, material
        permissions = {VIEW_COMMENTS}
        if comment.author_id == self.viewer.id or self.viewer.role == Role.ADMIN.value:
            permissions.add(DELETE_COMMENT)
        self.moderator = visibility.can_edit(request.dbsession, self.viewer, material)
        if self.moderator:
            permissions.add(MODERATE_COMMENT)
        self.__acl__ = grants(self.viewer, permissions)
