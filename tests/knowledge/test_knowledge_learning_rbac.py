"""RBAC matrix of the student's lesson API: who reads a lesson and the next one (the
student, their parent, their teacher of the subject, their tutor, admins), who acts in it
(the student alone); everyone else is told the graph does not exist (404)."""

from __future__ import annotations

import pytest
from learning_support import API, CHOICE, VIDEO, element_url, elements_of, lesson_url

from factories import ElementProgressFactory

READERS = {"S", "P", "E", "T", "A"}
ROLES = ("E", "E2", "T", "T2", "S", "S2", "P", "P2", "A")
QUICK_THEORY = ("theory", {"markdown": "x"}, True, {"estimated_minutes": 0})
ACTIONS = {
    "view": None,
    "next": None,
    "start": None,
    "answer": {"answer": [0, 1]},
    "read": None,
    "watch": {"seconds": 0},
}


def expected(role: str, action: str) -> int:
    if role not in READERS:
        return 404
    if action in ("view", "next"):
        return 200
    return 200 if role == "S" else 403


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_rbac_matrix(role, action, school, make_graph, make_lesson, api, dbsession):
    lesson = make_lesson(school.x, school.E, elements=[CHOICE, QUICK_THEORY, VIDEO])
    made = make_graph(school, student=school.S, lessons=[lesson])
    node = made.nodes[0]
    choice, theory, video = elements_of(dbsession, lesson)
    for started in (theory, video):  # read and watch need a started element
        ElementProgressFactory(node_id=node.id, element_id=started.id)
    dbsession.flush()
    user = school.people[role]
    status = expected(role, action)
    if action == "view":
        res = api.get(lesson_url(made.graph, node), user, status=status)
    elif action == "next":
        res = api.get(f"{API}graphs/{made.graph.id}/next/", user, status=status)
    else:
        element = {"start": choice, "answer": choice, "read": theory, "watch": video}[action]
        url = element_url(made.graph, node, element.id, action)
        res = api.post(url, user, ACTIONS[action], status=status)
    if status == 200 and action == "next":
        assert res.json["next"]["node_id"] == node.id
    if status == 404:
        assert res.json["status"] == 404


def test_unknown_ids_are_404(school, make_graph, make_lesson, api, dbsession):
    made = make_graph(school, student=school.S, lessons=2)
    other = make_graph(school, student=school.S, lessons=1)
    (element,) = elements_of(dbsession, made.lessons[0])[:1]
    template = make_graph(school, lessons=1)
    graph, node = made.graph, made.nodes[0]
    for url in (
        lesson_url(graph, other.nodes[0]),  # a node of another graph
        f"{API}graphs/{graph.id}/nodes/999999/",
        f"{API}graphs/{template.graph.id}/nodes/{template.nodes[0].id}/",  # a template
        f"{API}graphs/{template.graph.id}/next/",
        f"{API}graphs/0/next/",
    ):
        api.get(url, school.S, status=404)
    foreign = elements_of(dbsession, made.lessons[1])[0]  # of the other lesson
    api.post(element_url(graph, node, foreign.id, "start"), school.S, status=404)
    api.post(f"{lesson_url(graph, node)}elements/abc/start/", school.S, status=404)
    api.post(element_url(graph, node, element.id, "start"), school.S, status=200)
