"""RBAC matrix of the authoring and graph endpoints (elements, lessons, templates, their
structure, export/import, propagation, student graphs) for every role of the school.

E authored everything: a private element, a lesson (shared, as lessons are by default), a
template placing two lessons (L1 -> L2), and S's graph made from it. E2 authors in the same
subject but teaches S2; tutors T, T2 are not assigned to the subject (T tutors S); P is S's
parent. Readers who may not know a row get 404; students and parents never reach authored
content (403); a relation that reads but may not change gets 403.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from knowledge_support import EXPORT_DOC, theory_body

from thebot.knowledge.graphs import service as graphs

PLACEHOLDER = re.compile(r"\{[^}]*\}")
ROLES = ("E", "E2", "T", "T2", "S", "S2", "P", "P2", "A")
AUTHORS = {"E", "E2", "A"}
TEACHING = {"E", "E2", "T", "T2", "A"}
GRAPH_READERS = {"E", "T", "S", "P", "A"}
GRAPH_EDITORS = {"E", "T", "A"}


def content_rule(ok: int, readers: set[str]) -> dict[str, int]:
    """``ok`` for the author and admins; others: 403 off the teaching roles, 404 if they
    may not read the row, 403 if they read it but may not change it."""
    found = {}
    for role in ROLES:
        if role in ("E", "A"):
            found[role] = ok
        elif role not in TEACHING:
            found[role] = 403
        else:
            found[role] = 403 if role in readers else 404
    return found


def read_rule(readers: set[str]) -> dict[str, int]:
    return {
        role: 200 if role in readers else (403 if role not in TEACHING else 404) for role in ROLES
    }


def collection_rule(ok: int, allowed: set[str]) -> dict[str, int]:
    return {role: ok if role in allowed else 403 for role in ROLES}


def graph_rule(ok: int, allowed: set[str]) -> dict[str, int]:
    return {
        role: ok if role in allowed else (403 if role in GRAPH_READERS else 404) for role in ROLES
    }


@pytest.fixture
def built(school, make_lesson, make_graph, dbsession):
    from factories import ElementFactory

    element = ElementFactory(subject_id=school.x.id, author_id=school.E.id, shared=False)
    l1, l2, l3 = (make_lesson(school.x, school.E) for _ in range(3))
    template = make_graph(school, lessons=[l1, l2], edges=[(0, 1, "required", 0)])
    graph = graphs.create(
        dbsession, school.A, {"student_id": school.S.id, "template_id": template.graph.id}
    )
    nodes = {n.source_node_id: n.id for n in graph_nodes(dbsession, graph.id)}
    dependency = graph_dependency(dbsession, graph.id)
    return SimpleNamespace(
        element=element,
        lesson=l1,
        free_lesson=l3,
        template=template.graph,
        template_nodes=template.nodes,
        template_dependency=template.edges[0],
        graph=graph,
        graph_nodes=[nodes[n.id] for n in template.nodes],
        graph_dependency=dependency,
    )


def graph_nodes(dbsession, graph_id):
    from thebot.knowledge.models import GraphNode

    return dbsession.query(GraphNode).filter_by(graph_id=graph_id).order_by(GraphNode.id).all()


def graph_dependency(dbsession, graph_id):
    from thebot.knowledge.models import Dependency

    return dbsession.query(Dependency).filter_by(graph_id=graph_id).one()


def endpoints():
    """name -> (method, path(b), body(b, school), expected per role)."""
    t = "templates/{b.template.id}/"
    g = "graphs/{b.graph.id}/"
    return {
        "elements list": ("GET", "elements/", None, collection_rule(200, TEACHING)),
        "element create": (
            "POST",
            "elements/",
            lambda b, s: theory_body(s.x.id),
            collection_rule(201, AUTHORS) | {"T": 403, "T2": 403},
        ),
        "element read": ("GET", "elements/{b.element.id}/", None, read_rule({"E", "A"})),
        "element patch": (
            "PATCH",
            "elements/{b.element.id}/",
            lambda b, s: {"title": "New"},
            content_rule(200, set()),
        ),
        "element delete": (
            "DELETE",
            "elements/{b.element.id}/",
            None,
            content_rule(204, set()),
        ),
        "lessons list": ("GET", "lessons/", None, collection_rule(200, TEACHING)),
        "lesson create": (
            "POST",
            "lessons/",
            lambda b, s: {"title": "L", "subject_id": s.x.id, "elements": []},
            collection_rule(201, AUTHORS),
        ),
        "lesson read": ("GET", "lessons/{b.lesson.id}/", None, read_rule({"E", "E2", "A"})),
        "lesson patch": (
            "PATCH",
            "lessons/{b.lesson.id}/",
            lambda b, s: {"title": "New"},
            content_rule(200, {"E2"}),
        ),
        "lesson delete": (
            "DELETE",
            "lessons/{b.free_lesson.id}/",
            None,
            content_rule(204, {"E2"}),
        ),
        "templates list": ("GET", "templates/", None, collection_rule(200, TEACHING)),
        "template create": (
            "POST",
            "templates/",
            lambda b, s: {"title": "Path", "subject_id": s.x.id},
            collection_rule(201, AUTHORS),
        ),
        "template import": (
            "POST",
            "templates/import/",
            lambda b, s: {**EXPORT_DOC, "subject_id": s.x.id},
            collection_rule(201, AUTHORS),
        ),
        "template read": ("GET", t, None, read_rule({"E", "E2", "A"})),
        "template patch": ("PATCH", t, lambda b, s: {"title": "T"}, content_rule(200, {"E2"})),
        # its lessons hold E's private elements, answers included in the document: E2
        # reads the template but may not export it (403)
        "template export": ("GET", t + "export/", None, content_rule(200, {"E2"})),
        "template propagate": ("POST", t + "propagate/", None, content_rule(200, {"E2"})),
        "template node add": (
            "POST",
            t + "nodes/",
            lambda b, s: {"lesson_id": b.free_lesson.id, "x": 1, "y": 2},
            content_rule(201, {"E2"}),
        ),
        "template node move": (
            "PATCH",
            t + "nodes/{b.template_nodes[0].id}/",
            lambda b, s: {"x": 5},
            content_rule(200, {"E2"}),
        ),
        "template node delete": (
            "DELETE",
            t + "nodes/{b.template_nodes[1].id}/",
            None,
            content_rule(204, {"E2"}),
        ),
        "template dependency add": (
            "POST",
            t + "dependencies/",
            lambda b, s: {
                "from_node_id": b.template_nodes[1].id,
                "to_node_id": b.template_nodes[0].id,
                "type": "optional",
            },
            content_rule(409, {"E2"}),  # a cycle: the caller got past the permission
        ),
        "template dependency patch": (
            "PATCH",
            t + "dependencies/{b.template_dependency.id}/",
            lambda b, s: {"type": "recommended"},
            content_rule(200, {"E2"}),
        ),
        "template dependency delete": (
            "DELETE",
            t + "dependencies/{b.template_dependency.id}/",
            None,
            content_rule(204, {"E2"}),
        ),
        "graphs list": ("GET", "graphs/", None, {r: 200 for r in ROLES}),
        "graph create": (
            "POST",
            "graphs/",
            lambda b, s: {"student_id": s.S.id, "subject_id": s.x.id},
            {r: 201 if r in GRAPH_EDITORS else 403 for r in ROLES},
        ),
        "graph read": ("GET", g, None, graph_rule(200, GRAPH_READERS)),
        "graph node add": (
            "POST",
            g + "nodes/",
            lambda b, s: {"lesson_id": b.free_lesson.id},
            graph_rule(201, GRAPH_EDITORS),
        ),
        "graph dependency add": (
            "POST",
            g + "dependencies/",
            lambda b, s: {"from_node_id": b.graph_nodes[1], "to_node_id": b.graph_nodes[0]},
            graph_rule(409, GRAPH_EDITORS),  # a cycle: past the permission
        ),
        "graph dependency patch": (
            "PATCH",
            g + "dependencies/{b.graph_dependency.id}/",
            lambda b, s: {"min_score_percent": 50},
            graph_rule(200, GRAPH_EDITORS),
        ),
        "graph dependency delete": (
            "DELETE",
            g + "dependencies/{b.graph_dependency.id}/",
            None,
            graph_rule(204, GRAPH_EDITORS),
        ),
    }


ENDPOINTS = endpoints()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_rbac_matrix(name, role, school, built, api):
    method, path, body, expected = ENDPOINTS[name]
    user = school.people[role]
    url = path.format(b=built)
    want = expected[role]
    if method == "GET":
        answer = api.get(url, user, status=want)
    elif method == "DELETE":
        answer = api.delete(url, user, status=want)
    else:
        payload = body(built, school) if body else {}
        call = api.post if method == "POST" else api.patch
        answer = call(url, user, payload, status=want)
    if want >= 400:
        assert answer.content_type == "application/problem+json"


def test_the_matrix_covers_every_authoring_route():
    """Every route of these sub-domains is in the matrix (the learning, review and overview
    routes have matrices of their own)."""
    from cornice.service import get_services

    mine = ("elements", "lessons", "structure", "templates", "graphs")
    covered = {
        (m, PLACEHOLDER.sub("{}", "/api/knowledge/" + p)) for m, p, _b, _e in ENDPOINTS.values()
    }
    routes = set()
    for service in get_services():
        for method, view, _args in service.definitions:
            module = getattr(view, "__module__", "")
            if any(module == f"thebot.knowledge.{m}.views" for m in mine) and method != "HEAD":
                routes.add((method, PLACEHOLDER.sub("{}", service.path)))
    assert len(routes) >= 30
    assert routes == covered


def test_lists_show_only_what_the_caller_may_read(school, built, api, make_graph, dbsession):
    ids = {
        role: [g["id"] for g in api.get("graphs/", school.people[role]).json["items"]]
        for role in ROLES
    }
    assert {role for role, found in ids.items() if built.graph.id in found} == GRAPH_READERS
    elements = {
        role: [e["id"] for e in api.get("elements/", school.people[role]).json["items"]]
        for role in sorted(TEACHING)
    }
    assert {role for role, found in elements.items() if built.element.id in found} == {"E", "A"}
