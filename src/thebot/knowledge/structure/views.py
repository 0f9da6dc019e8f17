"""Nodes and dependencies API, for templates (their authors and admins) and student graphs
(the student's teacher of the subject, tutor, admins): the same bodies and rules on both.

A template's change bumps its ``version``; a student graph's change refreshes its lesson
states at once (a new ``required`` dependency re-locks a lesson the student has not
started; one in progress or completed stays open). A cycle, a self-loop included, is a
409 whose ``cycle`` lists the node ids ``[from, to, ..., from]`` and ``lessons`` their
titles; the same dependency twice is a 409; a node of a lesson the student started is never
deleted (409)."""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.knowledge.models import GraphKind, KnowledgeGraph
from thebot.knowledge.resources import (
    GRAPH_ID_PATH,
    GRAPH_PATH,
    TEMPLATE_ID_PATH,
    TEMPLATE_PATH,
    GraphResource,
    TemplateResource,
    path_id,
)
from thebot.knowledge.structure import service
from thebot.knowledge.structure.render import dependency_data, node_data
from thebot.knowledge.structure.schemas import (
    AddDependencyRequest,
    AddNodeRequest,
    DependencySchema,
    MoveNodeRequest,
    NodeSchema,
    RetypeDependencyRequest,
)
from thebot.permissions import KNOWLEDGE_EDIT_CONTENT, KNOWLEDGE_EDIT_GRAPH
from thebot.responses import no_content
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["knowledge"]
NODE = "nodes/{node_id}/"
DEPENDENCY = "dependencies/{dependency_id}/"


SPECS = {  # name: (path suffix, description)
    "nodes": ("nodes/", "Place a lesson in {where}"),
    "node": (NODE, "Move or remove a node of {where}"),
    "dependencies": ("dependencies/", "Add a dependency between two nodes of {where}"),
    "dependency": (DEPENDENCY, "Retype or remove a dependency of {where}"),
}


def _services(
    kind: str, path: str, path_info: str, factory: Any, *names: str
) -> dict[str, ApiService]:
    where = "a template" if kind == "template" else "a student graph"
    return {
        name: ApiService(
            name=f"knowledge_{kind}_{name}",
            path=path + SPECS[name][0],
            path_info=path_info,
            description=SPECS[name][1].format(where=where),
            factory=factory,
        )
        for name in names
    }


ALL = ("nodes", "node", "dependencies", "dependency")
TEMPLATE = _services("template", TEMPLATE_PATH, TEMPLATE_ID_PATH, TemplateResource, *ALL)
# ``/api/knowledge/graphs/{id}/nodes/{node_id}/`` is the student's lesson view
# (``thebot.knowledge.learning``): a student graph's nodes are removed by ``propagate``
# (template nodes removed upstream, never a started lesson), not moved or deleted here.
GRAPH = _services(
    "graph", GRAPH_PATH, GRAPH_ID_PATH, GraphResource, "nodes", "dependencies", "dependency"
)
# venusian registers module-level services only: name each one here.
template_nodes = TEMPLATE["nodes"]
template_node = TEMPLATE["node"]
template_dependencies = TEMPLATE["dependencies"]
template_dependency = TEMPLATE["dependency"]
graph_nodes = GRAPH["nodes"]
graph_dependencies = GRAPH["dependencies"]
graph_dependency = GRAPH["dependency"]


def graph_of(request: Request) -> KnowledgeGraph:
    context = request.context
    graph = context.row if isinstance(context, TemplateResource) else context.graph
    assert graph is not None
    return graph


def _states(graph: KnowledgeGraph) -> bool:
    return graph.kind == GraphKind.STUDENT.value


def _audit(request: Request, action: str, graph: KnowledgeGraph, **details: Any) -> None:
    audit(
        request,
        f"knowledge.{action}",
        target_type=f"knowledge_{graph.kind}",
        target_id=graph.id,
        **details,
    )


def _both(name: str, method: str, **kwargs: Any) -> Any:
    """Register one view on the template's and the student graph's service."""

    def register(view: Any) -> Any:
        for services, permission in (
            (TEMPLATE, KNOWLEDGE_EDIT_CONTENT),
            (GRAPH, KNOWLEDGE_EDIT_GRAPH),
        ):
            if name in services:
                service_ = services[name]
                getattr(service_, method)(permission=permission, tags=TAGS, **kwargs)(view)
        return view

    return register


@_both(
    "nodes",
    "post",
    schema=AddNodeRequest(),
    response_schemas=responds(NodeSchema, "The new node", 201),
)
def add_node(request: Request) -> dict[str, Any]:
    """Place a lesson of the graph's subject (once per graph)."""
    graph = graph_of(request)
    node = service.add_node(
        request.dbsession, request.context.viewer, graph, request.validated["body"]
    )
    _audit(request, "node_added", graph, node_id=node.id, lesson_id=node.lesson_id)
    request.response.status = 201
    return node_data(request.dbsession, node, _states(graph))


@_both(
    "node", "patch", schema=MoveNodeRequest(), response_schemas=responds(NodeSchema, "The node")
)
def move_node(request: Request) -> dict[str, Any]:
    """Move it in the editor (``x``, ``y``): not a structural change."""
    graph = graph_of(request)
    node = service.node_of(request.dbsession, graph, path_id(request, "node_id"))
    service.move_node(request.dbsession, node, request.validated["body"])
    return node_data(request.dbsession, node, _states(graph))


@_both(
    "node", "delete", schema=NoQueryRequest(), response_schemas=responds(NoContent, "Removed", 204)
)
def remove_node(request: Request) -> Response:
    """Remove it with its dependencies (in a student graph: only if not started, 409)."""
    graph = graph_of(request)
    node = service.node_of(request.dbsession, graph, path_id(request, "node_id"))
    node_id = node.id
    service.remove_node(request.dbsession, graph, node)
    _audit(request, "node_removed", graph, node_id=node_id)
    return no_content()


@_both(
    "dependencies",
    "post",
    schema=AddDependencyRequest(),
    response_schemas=responds(DependencySchema, "The new dependency", 201),
)
def add_dependency(request: Request) -> dict[str, Any]:
    """``from_node_id`` must come before ``to_node_id``; 409 on a cycle (with its path)."""
    graph = graph_of(request)
    dependency = service.add_dependency(request.dbsession, graph, request.validated["body"])
    _audit(request, "dependency_added", graph, dependency_id=dependency.id)
    request.response.status = 201
    return dependency_data(dependency)


@_both(
    "dependency",
    "patch",
    schema=RetypeDependencyRequest(),
    response_schemas=responds(DependencySchema, "The dependency"),
)
def retype_dependency(request: Request) -> dict[str, Any]:
    """Change ``type`` or ``min_score_percent`` (states follow in a student graph)."""
    graph = graph_of(request)
    dependency = service.dependency_of(request.dbsession, graph, path_id(request, "dependency_id"))
    service.retype_dependency(request.dbsession, graph, dependency, request.validated["body"])
    _audit(request, "dependency_changed", graph, dependency_id=dependency.id)
    return dependency_data(dependency)


@_both(
    "dependency",
    "delete",
    schema=NoQueryRequest(),
    response_schemas=responds(NoContent, "Removed", 204),
)
def remove_dependency(request: Request) -> Response:
    graph = graph_of(request)
    dependency = service.dependency_of(request.dbsession, graph, path_id(request, "dependency_id"))
    dependency_id = dependency.id
    service.remove_dependency(request.dbsession, graph, dependency)
    _audit(request, "dependency_removed", graph, dependency_id=dependency_id)
    return no_content()
