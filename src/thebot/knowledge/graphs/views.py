"""Student graphs API: lists filtered by who sees the student's graph; creation by the
student's teacher of the subject, tutor or an admin; nodes with their lesson states."""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.knowledge.graphs import service
from thebot.knowledge.graphs.schemas import (
    CreateGraphRequest,
    GraphPage,
    GraphSchema,
    GraphsListRequest,
)
from thebot.knowledge.resources import GRAPH_ID_PATH, GRAPH_PATH, GraphResource, KnowledgeRoot
from thebot.pagination import page_body, paginate_request
from thebot.permissions import KNOWLEDGE_GRAPHS, KNOWLEDGE_VIEW_GRAPH
from thebot.responses import created
from thebot.schemas import NoQueryRequest, responds

TAGS = ["knowledge"]

graphs = ApiService(
    name="knowledge_graphs",
    path="/api/knowledge/graphs/",
    description="Student graphs the caller may read; build one for a student one teaches",
    factory=KnowledgeRoot,
)
graph = ApiService(
    name="knowledge_graph",
    path=GRAPH_PATH,
    path_info=GRAPH_ID_PATH,
    description="One student graph: lessons with their states, and dependencies",
    factory=GraphResource,
)


@graphs.get(
    permission=KNOWLEDGE_GRAPHS,
    schema=GraphsListRequest(),
    tags=TAGS,
    response_schemas=responds(GraphPage, "A page of student graphs, oldest first"),
)
def list_graphs(request: Request) -> dict[str, Any]:
    """The student's own, their parents', their teacher's of the subject, their tutor's;
    admins see all. Filters ``student``, ``subject``, ``template``."""
    stmt = service.graphs_query(request.context.viewer, request.validated["querystring"])
    rows, next_cursor = paginate_request(request, stmt, service.LIST_ORDER)
    return page_body(service.summaries(request.dbsession, list(rows)), next_cursor)


@graphs.post(
    permission=KNOWLEDGE_GRAPHS,
    schema=CreateGraphRequest(),
    tags=TAGS,
    response_schemas=responds(GraphSchema, "The new graph, its first lessons unlocked", 201),
)
def create_graph(request: Request) -> dict[str, Any]:
    """``{"student_id", "template_id"}`` copies the template (409 if the student has a
    graph from it already); ``{"student_id", "subject_id"}`` makes an empty graph. Only for
    a student enrolled in the subject, by their teacher of it, their tutor or an admin
    (403)."""
    new = service.create(request.dbsession, request.context.viewer, request.validated["body"])
    audit(
        request,
        "knowledge.graph_created",
        target_type="knowledge_graph",
        target_id=new.id,
        student_id=new.student_id,
        template_id=new.template_id,
    )
    created(request, "knowledge_graph", id=new.id)
    return service.graph_data(request.dbsession, new)


@graph.get(
    permission=KNOWLEDGE_VIEW_GRAPH,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(GraphSchema, "The graph with each lesson's state"),
)
def get_graph(request: Request) -> dict[str, Any]:
    """Each node's ``state``: locked, unlocked, in_progress, completed."""
    assert request.context.graph is not None
    return service.graph_data(request.dbsession, request.context.graph)
