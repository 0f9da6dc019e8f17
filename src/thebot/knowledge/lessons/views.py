"""Lessons API: authors of a subject and admins."""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.knowledge.lessons import service
from thebot.knowledge.lessons.schemas import (
    CreateLessonRequest,
    LessonPage,
    LessonSchema,
    LessonsListRequest,
    UpdateLessonRequest,
)
from thebot.knowledge.resources import LESSON_ID_PATH, LESSON_PATH, KnowledgeRoot, LessonResource
from thebot.knowledge.states import refresh_graphs_with_lessons
from thebot.pagination import page_body, paginate_request
from thebot.permissions import KNOWLEDGE_AUTHOR, KNOWLEDGE_EDIT_CONTENT, KNOWLEDGE_VIEW_CONTENT
from thebot.responses import created, no_content
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["knowledge"]

lessons = ApiService(
    name="knowledge_lessons",
    path="/api/knowledge/lessons/",
    description="Lessons the caller may read; create one from elements of its subject",
    factory=KnowledgeRoot,
)
lesson = ApiService(
    name="knowledge_lesson",
    path=LESSON_PATH,
    path_info=LESSON_ID_PATH,
    description="One lesson: its ordered elements (required or optional) and totals",
    factory=LessonResource,
)


@lessons.get(
    permission=KNOWLEDGE_AUTHOR,
    schema=LessonsListRequest(),
    tags=TAGS,
    response_schemas=responds(LessonPage, "A page of lessons, oldest first"),
)
def list_lessons(request: Request) -> dict[str, Any]:
    """The caller's lessons and those shared in the subjects they author in; filter
    ``subject``."""
    stmt = service.lessons_query(request.context.viewer, request.validated["querystring"])
    rows, next_cursor = paginate_request(request, stmt, service.LIST_ORDER)
    return page_body(service.lessons_data(request.dbsession, list(rows)), next_cursor)


@lessons.post(
    permission=KNOWLEDGE_AUTHOR,
    schema=CreateLessonRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The new lesson", 201),
)
def create_lesson(request: Request) -> dict[str, Any]:
    """Each element must be one the caller reads, of the lesson's subject, listed once."""
    new = service.create(request.dbsession, request.context.viewer, request.validated["body"])
    audit(request, "knowledge.lesson_created", target_type="knowledge_lesson", target_id=new.id)
    created(request, "knowledge_lesson", id=new.id)
    return service.lessons_data(request.dbsession, [new])[0]


@lesson.get(
    permission=KNOWLEDGE_VIEW_CONTENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The lesson"),
)
def get_lesson(request: Request) -> dict[str, Any]:
    return service.lessons_data(request.dbsession, [request.context.row])[0]


@lesson.patch(
    permission=KNOWLEDGE_EDIT_CONTENT,
    schema=UpdateLessonRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The changed lesson"),
)
def update_lesson(request: Request) -> dict[str, Any]:
    """``elements`` replaces the list (the stored totals follow); when the maximum score
    moves, student graphs placing the lesson get it and their lesson states are brought up
    to date."""
    changes = request.validated["body"]
    row = request.context.row
    moved = service.update(request.dbsession, request.context.viewer, row, dict(changes))
    if moved:
        refresh_graphs_with_lessons(request.dbsession, [row.id])
    audit(
        request,
        "knowledge.lesson_updated",
        target_type="knowledge_lesson",
        target_id=row.id,
        fields=sorted(changes),
    )
    return service.lessons_data(request.dbsession, [row])[0]


@lesson.delete(
    permission=KNOWLEDGE_EDIT_CONTENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deleted", 204),
)
def delete_lesson(request: Request) -> Response:
    """409 while a graph (template or student graph) places the lesson."""
    row_id = request.context.row.id
    service.delete(request.dbsession, request.context.row)
    audit(request, "knowledge.lesson_deleted", target_type="knowledge_lesson", target_id=row_id)
    return no_content()
