"""Route factories of the materials API: resources whose ``__acl__`` comes from the caller's
relation to the material (``thebot.materials.visibility``); comments and submissions have
theirs in their packages, built with ``grants`` and ``load_visible_material``.

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
from thebot.accounts.users.resources import DENY_REST, viewer_of
from thebot.api import parse_id
from thebot.materials import visibility
from thebot.materials.models import Material
from thebot.permissions import (
    ADD_COMMENT,
    ASSIGN_MATERIAL,
    CREATE_MATERIAL,
    DELETE_MATERIAL,
    EDIT_MATERIAL,
    LIST_MATERIALS,
    RECORD_PROGRESS,
    SUBMIT_MATERIAL,
    UPLOAD_MATERIAL_FILE,
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


def can_view_material_file(dbsession: Session, viewer: User, media: Any) -> bool:
    """A material's file (``config.add_media_owner``): whoever may see the material, and
    those who may replace the file (a subject's teachers, drafts included)."""
    material = dbsession.get(Material, media.owner_id)
    if material is None or material.deleted_at is not None:
        return False
    return visibility.can_view(dbsession, viewer, material) or visibility.can_edit(
        dbsession, viewer, material
    )
