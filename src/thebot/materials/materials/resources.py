"""Route factories of the materials API: resources whose ``__acl__`` comes from the caller's
relation to the material (``thebot.materials.visibility``).

A material, comment or submission the caller may not see is a 404 raised by the factory
itself, so existence is never revealed; what the caller sees but may not do is a 403 from
the ACL. Anonymous callers are not looked up at all and get the 401 of the forbidden view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyramid.authorization import Allow, Authenticated
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import Role, User
from thebot.accounts.resources import DENY_REST, parse_id, viewer_of
from thebot.materials import visibility
from thebot.materials.models import Material, MaterialComment, MaterialSubmission
from thebot.security import (
    ADD_COMMENT,
    ASSIGN_MATERIAL,
    CREATE_MATERIAL,
    DELETE_COMMENT,
    DELETE_MATERIAL,
    EDIT_MATERIAL,
    LIST_MATERIALS,
    MODERATE_COMMENT,
    RECORD_PROGRESS,
    REVIEW_SUBMISSION,
    SUBMIT_MATERIAL,
    VIEW_COMMENTS,
    VIEW_MATERIAL,
    VIEW_PROGRESS,
    VIEW_SUBMISSIONS,
)

MATERIAL_PATH = "/api/materials/{material_id}/"
# A route predicate for services under MATERIAL_PATH: the id is digits, so sibling
# collections (/api/materials/subjects/, ...) never match a material route, whatever the
# order in which the routes were added (a regex in the pattern would also work, but would
# leak into the OpenAPI parameter names).
MATERIAL_ID_PATH = r"^/api/materials/\d+/"

# Whoever sees a material may read it, its comments, and the progress rows and submissions
# they may see (the lists filter rows), and may join its discussion.
SEEING = (VIEW_MATERIAL, VIEW_COMMENTS, ADD_COMMENT, VIEW_PROGRESS, VIEW_SUBMISSIONS)
STUDENT_ON_MATERIAL = (RECORD_PROGRESS, SUBMIT_MATERIAL)  # their own progress and answer
EDITOR_ON_MATERIAL = (EDIT_MATERIAL, ASSIGN_MATERIAL)


def grants(viewer: User, permissions: Iterable[str]) -> list[Any]:
    """An ACL allowing the caller exactly ``permissions`` (and nothing to anyone else)."""
    return [(Allow, f"user:{viewer.id}", tuple(sorted(set(permissions)))), DENY_REST]


def load_visible_material(
    dbsession: Session, viewer: User, material_id: int | None
) -> Material | None:
    """The material if ``viewer`` may see it (one query), else ``None``."""
    if material_id is None:
        return None
    return dbsession.execute(
        select(Material).where(
            Material.id == material_id, visibility.visible_materials_clause(viewer)
        )
    ).scalar_one_or_none()


class MaterialsRoot:
    """``/api/materials/``: everyone signed in lists (rows filtered); teaching staff create."""

    __acl__ = [
        (Allow, f"role:{Role.ADMIN.value}", CREATE_MATERIAL),
        (Allow, f"role:{Role.TEACHER.value}", CREATE_MATERIAL),
        (Allow, f"role:{Role.TUTOR.value}", CREATE_MATERIAL),
        (Allow, Authenticated, LIST_MATERIALS),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)


class MaterialResource:
    """One material as the caller sees it (``{material_id}`` in the path)."""

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.material: Material | None = None
        self.may_edit = False
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return
        material = load_visible_material(
            request.dbsession, self.viewer, parse_id(request.matchdict.get("material_id"))
        )
        if material is None:
            raise HTTPNotFound()
        self.material = material
        permissions = set(SEEING)
        if self.viewer.role == Role.STUDENT.value:
            permissions.update(STUDENT_ON_MATERIAL)
        self.may_edit = visibility.can_edit(request.dbsession, self.viewer, material)
        if self.may_edit:
            permissions.update(EDITOR_ON_MATERIAL)
        if visibility.can_delete(self.viewer, material):
            permissions.add(DELETE_MATERIAL)
        self.__acl__ = grants(self.viewer, permissions)


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


class SubmissionResource:
    """``/api/materials/submissions/{submission_id}/``: a submission the caller may see.

    Reviewers (``visibility.can_review``) give feedback; others who see it only read it.
    """

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.submission: MaterialSubmission | None = None
        self.material: Material | None = None
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return
        submission_id = parse_id(request.matchdict.get("submission_id"))
        submission = None
        if submission_id is not None:
            submission = request.dbsession.execute(
                select(MaterialSubmission).where(
                    MaterialSubmission.id == submission_id,
                    visibility.visible_submissions_clause(self.viewer),
                )
            ).scalar_one_or_none()
        if submission is None:
            raise HTTPNotFound()
        self.submission = submission
        self.material = request.dbsession.get(Material, submission.material_id)
        permissions = {VIEW_SUBMISSIONS}
        if self.material is not None and visibility.can_review(
            request.dbsession, self.viewer, self.material
        ):
            permissions.add(REVIEW_SUBMISSION)
        self.__acl__ = grants(self.viewer, permissions)
