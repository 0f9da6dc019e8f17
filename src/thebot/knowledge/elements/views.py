"""Elements API: authors of a subject (teachers and tutors assigned to it) and admins."""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.knowledge.elements import service
from thebot.knowledge.elements.schemas import (
    CreateElementRequest,
    ElementPage,
    ElementSchema,
    ElementsListRequest,
    UpdateElementRequest,
)
from thebot.knowledge.learning import progress
from thebot.knowledge.resources import (
    ELEMENT_ID_PATH,
    ELEMENT_PATH,
    ElementResource,
    KnowledgeRoot,
)
from thebot.knowledge.states import refresh_graphs_with_lessons
from thebot.pagination import page_body, paginate_request
from thebot.permissions import KNOWLEDGE_AUTHOR, KNOWLEDGE_EDIT_CONTENT, KNOWLEDGE_VIEW_CONTENT
from thebot.responses import created, no_content
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["knowledge"]

elements = ApiService(
    name="knowledge_elements",
    path="/api/knowledge/elements/",
    description="Authored elements the caller may read; create one in a subject one authors in",
    factory=KnowledgeRoot,
)
element = ApiService(
    name="knowledge_element",
    path=ELEMENT_PATH,
    path_info=ELEMENT_ID_PATH,
    description="One element: readers see it, its author and admins change or delete it",
    factory=ElementResource,
)


@elements.get(
    permission=KNOWLEDGE_AUTHOR,
    schema=ElementsListRequest(),
    tags=TAGS,
    response_schemas=responds(ElementPage, "A page of elements, oldest first"),
)
def list_elements(request: Request) -> dict[str, Any]:
    """The caller's own elements and those shared in the subjects they author in (admins:
    all); filters ``subject``, ``type``, ``tag``."""
    dialect = request.dbsession.get_bind().dialect.name
    stmt = service.elements_query(
        request.context.viewer, dialect, request.validated["querystring"]
    )
    rows, next_cursor = paginate_request(request, stmt, service.LIST_ORDER)
    return page_body([service.element_data(e) for e in rows], next_cursor)


@elements.post(
    permission=KNOWLEDGE_AUTHOR,
    schema=CreateElementRequest(),
    tags=TAGS,
    response_schemas=responds(ElementSchema, "The new element", 201),
)
def create_element(request: Request) -> dict[str, Any]:
    """``content`` is checked against ``type`` (400 naming ``content.<field>``)."""
    new = service.create(request.dbsession, request.context.viewer, request.validated["body"])
    audit(request, "knowledge.element_created", target_type="knowledge_element", target_id=new.id)
    created(request, "knowledge_element", id=new.id)
    return service.element_data(new)


@element.get(
    permission=KNOWLEDGE_VIEW_CONTENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(ElementSchema, "The element, with its answers"),
)
def get_element(request: Request) -> dict[str, Any]:
    return service.element_data(request.context.row)


@element.patch(
    permission=KNOWLEDGE_EDIT_CONTENT,
    schema=UpdateElementRequest(),
    tags=TAGS,
    response_schemas=responds(ElementSchema, "The changed element"),
)
def update_element(request: Request) -> dict[str, Any]:
    """Lessons holding it see the change at once (a new ``max_score`` moves their totals and
    the states of the student graphs placing them)."""
    changes = request.validated["body"]
    row = request.context.row
    lesson_ids = service.update(request.dbsession, row, dict(changes))
    refresh_graphs_with_lessons(request.dbsession, lesson_ids)
    if "max_attempts" in changes:  # students who spent the new limit have failed it
        progress.fail_exhausted(request.dbsession, row.id, row.max_attempts)
    audit(
        request,
        "knowledge.element_updated",
        target_type="knowledge_element",
        target_id=row.id,
        fields=sorted(changes),
    )
    return service.element_data(row)


@element.delete(
    permission=KNOWLEDGE_EDIT_CONTENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deleted", 204),
)
def delete_element(request: Request) -> Response:
    """409 while a lesson uses the element (``lesson_ids`` lists them)."""
    row_id = request.context.row.id
    service.delete(request.dbsession, request.context.row)
    audit(request, "knowledge.element_deleted", target_type="knowledge_element", target_id=row_id)
    return no_content()
