"""The student's lesson API: read a lesson of one's graph (parents, teacher, tutor, admins
read it too), start, answer, read and watch its elements (the student only), and the
recommended next lesson. Every action refuses a locked lesson (409, ``missing``)."""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, Request
from thebot.knowledge import access
from thebot.knowledge.learning import render, service
from thebot.knowledge.learning.resources import LessonNodeResource
from thebot.knowledge.learning.schemas import (
    ActionResult,
    AnswerRequest,
    AnswerResult,
    LessonOut,
    LessonRequest,
    NextResult,
    ReadRequest,
    StartRequest,
    WatchRequest,
)
from thebot.knowledge.resources import GraphResource
from thebot.permissions import KNOWLEDGE_LEARN, KNOWLEDGE_VIEW_GRAPH
from thebot.schemas import NoQueryRequest, responds

TAGS = ["knowledge"]
NODE = "/api/knowledge/graphs/{id}/nodes/{node_id}/"
ELEMENT = NODE + "elements/{element_id}/"

next_lesson = ApiService(
    name="knowledge_graph_next",
    path="/api/knowledge/graphs/{id}/next/",
    description="The lesson recommended next (in progress first, then recommended order)",
    factory=GraphResource,
)
lesson = ApiService(
    name="knowledge_graph_lesson",
    path=NODE,
    description="A lesson of a student graph: elements in order, without their answers",
    factory=LessonNodeResource,
)
element_start = ApiService(
    name="knowledge_element_start",
    path=ELEMENT + "start/",
    description="Start an element (the first one starts the lesson)",
    factory=LessonNodeResource,
)
element_answer = ApiService(
    name="knowledge_element_answer",
    path=ELEMENT + "answer/",
    description="Answer a quick question (graded at once) or a text problem (for a teacher)",
    factory=LessonNodeResource,
)
element_read = ApiService(
    name="knowledge_element_read",
    path=ELEMENT + "read/",
    description="Mark a theory element read (after its minimum reading time)",
    factory=LessonNodeResource,
)
element_watch = ApiService(
    name="knowledge_element_watch",
    path=ELEMENT + "watch/",
    description="A video heartbeat: credited up to the time since the start and the duration",
    factory=LessonNodeResource,
)


def where(request: Request) -> tuple[int, Any, int]:
    context = request.context
    return context.graph.id, context.node, context.element_id


@next_lesson.get(
    permission=KNOWLEDGE_VIEW_GRAPH,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NextResult, "The recommended lesson, or null when none is open"),
)
def get_next_lesson(request: Request) -> dict[str, Any]:
    return render.next_lesson(request.dbsession, request.context.graph)


@lesson.get(
    permission=KNOWLEDGE_VIEW_GRAPH,
    schema=LessonRequest(),
    tags=TAGS,
    problems=(409,),
    response_schemas=responds(LessonOut, "The lesson and the student's progress in it"),
)
def get_lesson(request: Request) -> dict[str, Any]:
    """409 for the student while the lesson is locked, with the ``missing`` prerequisites;
    the others see a locked lesson as it is."""
    context = request.context
    learner = access.STUDENT in context.relations
    return render.lesson_view(request.dbsession, context.graph, context.node, learner)


@element_start.post(
    permission=KNOWLEDGE_LEARN,
    schema=StartRequest(),
    tags=TAGS,
    response_schemas=responds(ActionResult, "The element's progress and the lesson's"),
)
def start_element(request: Request) -> dict[str, Any]:
    return service.start(request.dbsession, *where(request))


@element_answer.post(
    permission=KNOWLEDGE_LEARN,
    schema=AnswerRequest(),
    tags=TAGS,
    response_schemas=responds(AnswerResult, "The grade (quick questions) or pending review"),
)
def answer_element(request: Request) -> dict[str, Any]:
    return service.answer(request.dbsession, *where(request), request.validated["body"]["answer"])


@element_read.post(
    permission=KNOWLEDGE_LEARN,
    schema=ReadRequest(),
    tags=TAGS,
    response_schemas=responds(ActionResult, "The element, completed"),
)
def read_element(request: Request) -> dict[str, Any]:
    return service.read(request.dbsession, *where(request))


@element_watch.post(
    permission=KNOWLEDGE_LEARN,
    schema=WatchRequest(),
    tags=TAGS,
    response_schemas=responds(ActionResult, "The element with the credited seconds"),
)
def watch_element(request: Request) -> dict[str, Any]:
    body = request.validated["body"]
    return service.watch(
        request.dbsession,
        *where(request),
        position=body.get("position_seconds"),
        seconds=body.get("seconds"),
    )
