"""Route factories of the knowledge API: the caller's access (``thebot.knowledge.access``)
as an ``__acl__``.

- ``KnowledgeRoot`` (collections): authoring lists and creation for teachers, tutors and
  admins (the subject is checked by the services); graph lists for any signed-in user
  (rows filtered); the review queue for teaching roles and admins.
- ``ElementResource``, ``LessonResource``, ``TemplateResource``: one authored row. Students
  and parents are refused before any lookup (403); an author-capable caller who may not
  read the row gets a 404, like a missing one; readers view (and export, and read a
  template's overview), the author and admins edit.
- ``GraphResource``: one student graph, with the viewer's relations to it (``relations``);
  a graph the caller has no relation to is a 404.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from sqlalchemy import bindparam, select

from thebot.accounts.models import Role, User
from thebot.api import parse_id
from thebot.errors import NotFound
from thebot.knowledge import access
from thebot.knowledge.models import Element, GraphKind, KnowledgeGraph, Lesson
from thebot.permissions import (
    KNOWLEDGE_AUTHOR,
    KNOWLEDGE_EDIT_CONTENT,
    KNOWLEDGE_EDIT_GRAPH,
    KNOWLEDGE_EXPORT,
    KNOWLEDGE_GRADE,
    KNOWLEDGE_GRAPHS,
    KNOWLEDGE_LEARN,
    KNOWLEDGE_OVERVIEW,
    KNOWLEDGE_PROPAGATE,
    KNOWLEDGE_REVIEW,
    KNOWLEDGE_VIEW_CONTENT,
    KNOWLEDGE_VIEW_GRAPH,
)

DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)
ADMIN = f"role:{Role.ADMIN.value}"
TEACHER = f"role:{Role.TEACHER.value}"
TUTOR = f"role:{Role.TUTOR.value}"
AUTHORING = (KNOWLEDGE_AUTHOR, KNOWLEDGE_REVIEW)

ELEMENT_PATH = "/api/knowledge/elements/{id}/"
ELEMENT_ID_PATH = r"^/api/knowledge/elements/\d+/"
LESSON_PATH = "/api/knowledge/lessons/{id}/"
LESSON_ID_PATH = r"^/api/knowledge/lessons/\d+/"
TEMPLATE_PATH = "/api/knowledge/templates/{id}/"
TEMPLATE_ID_PATH = r"^/api/knowledge/templates/\d+/"
GRAPH_PATH = "/api/knowledge/graphs/{id}/"
GRAPH_ID_PATH = r"^/api/knowledge/graphs/\d+/"

GRAPH_GRANTS = {
    access.VIEW: KNOWLEDGE_VIEW_GRAPH,
    access.EDIT: KNOWLEDGE_EDIT_GRAPH,
    access.LEARN: KNOWLEDGE_LEARN,
    access.GRADE: KNOWLEDGE_GRADE,
}


def viewer_of(request: Any) -> User | None:
    """The calling user (``None`` for anonymous callers and the monitoring token)."""
    return getattr(request.identity, "user", None)


def path_id(request: Any, key: str = "id") -> int:
    value = parse_id(request.matchdict.get(key))
    if value is None:
        raise NotFound("Not found.")
    return value


class KnowledgeRoot:
    """Collections, before any object is chosen."""

    __acl__ = [
        (Allow, ADMIN, AUTHORING),
        (Allow, TEACHER, AUTHORING),
        (Allow, TUTOR, AUTHORING),
        (Allow, Authenticated, KNOWLEDGE_GRAPHS),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)


class ContentResource:
    """One authored row (``model``) as the caller may use it."""

    model: Any = Element
    label = "element"
    read_grants: tuple[str, ...] = (KNOWLEDGE_VIEW_CONTENT,)
    edit_grants: tuple[str, ...] = (KNOWLEDGE_EDIT_CONTENT,)

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.row: Any = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = self.viewer
        if viewer is None or not viewer.is_active:
            return
        if not (access.is_admin(viewer) or viewer.role in access.TEACHING_ROLES):
            return  # students and parents never read authored content: 403
        self.row = request.dbsession.scalars(
            _content_lookup(cast(Any, type(self)), access.viewer_kind(viewer)),
            {"row_id": path_id(request), "viewer_id": viewer.id},
        ).one_or_none()
        if self.row is None:
            raise NotFound(f"No such {self.label}.")
        granted = self.read_grants
        if access.can_edit_content(viewer, self.row):
            granted += self.edit_grants
        self.__acl__ = [(Allow, f"user:{viewer.id}", granted), DENY_REST]

    @classmethod
    def scope(cls) -> Any:
        return cls.model.id.is_not(None)


class ElementResource(ContentResource):
    model = Element
    label = "element"


class LessonResource(ContentResource):
    model = Lesson
    label = "lesson"


class TemplateResource(ContentResource):
    model = KnowledgeGraph
    label = "template"
    read_grants = (KNOWLEDGE_VIEW_CONTENT, KNOWLEDGE_EXPORT, KNOWLEDGE_OVERVIEW)
    edit_grants = (KNOWLEDGE_EDIT_CONTENT, KNOWLEDGE_PROPAGATE)

    @classmethod
    def scope(cls) -> Any:
        return KnowledgeGraph.kind == GraphKind.TEMPLATE.value


@functools.cache
def _content_lookup(resource: Any, kind: str) -> Any:
    """The row a ``resource`` (a ``ContentResource`` class) stands for, if the viewer (a
    ``viewer_kind``) may read it; built once (``row_id`` and ``viewer_id`` bound)."""
    model = resource.model
    return select(model).where(
        model.id == bindparam("row_id"),
        resource.scope(),
        access.readable_content_template(model, kind),
    )


class GraphResource:
    """One student graph and the caller's relations to it (``access.relations``)."""

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.graph: KnowledgeGraph | None = None
        self.relations: frozenset[str] = frozenset()
        self.__acl__: list[Any] = [DENY_REST]
        viewer = self.viewer
        if viewer is None or not viewer.is_active:
            return
        graph, self.relations = access.graph_and_relations(
            request.dbsession, viewer, path_id(request)
        )
        if graph is None or not self.relations:
            raise NotFound("No such graph.")
        self.graph = graph
        granted = tuple(GRAPH_GRANTS[a] for a in sorted(access.actions(self.relations)))
        self.__acl__ = [(Allow, f"user:{viewer.id}", granted), DENY_REST]
