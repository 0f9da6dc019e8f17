"""Every answer of the learning, review and overview APIs matches the schema its operation
declares in the OpenAPI document (a full walk through a lesson, a grade and the overview,
successes and problems alike)."""

from __future__ import annotations

import datetime as dt

import time_machine
from learning_support import (
    ALL_KINDS,
    API,
    element_url,
    elements_of,
    lesson_url,
    path,
)

from contract.validation import Contract

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)


def test_learning_answers_match_the_document(school, make_graph, make_lesson, api, dbsession):
    contract = Contract(api.testapp.get("/api/openapi.json").json)
    template = make_graph(school, lessons=1)
    made = path(make_graph, make_lesson, school, ALL_KINDS, template=template.graph)
    graph, node = made.graph, made.nodes[0]
    theory, video, choice, short, problem, optional = elements_of(dbsession, made.lessons[0])
    calls = []

    def get(url, user, status=200, **query):
        res = api.get(url, user, status=status, **query)
        calls.append(("GET", res))

    def post(url, user, body=None, status=200):
        res = api.post(url, user, body, status=status)
        calls.append(("POST", res))
        return res

    get(lesson_url(graph, made.nodes[1]), school.S, status=409)  # locked
    get(lesson_url(graph, made.nodes[1]), school.P)
    get(f"{API}graphs/{graph.id}/next/", school.S)
    with time_machine.travel(NOW, tick=False):
        for element in (theory, video, optional):
            post(element_url(graph, node, element.id, "start"), school.S)
    with time_machine.travel(NOW + dt.timedelta(seconds=10), tick=False):
        post(element_url(graph, node, theory.id, "read"), school.S, status=409)  # too early
        post(element_url(graph, node, video.id, "watch"), school.S, {"seconds": 5})
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        post(element_url(graph, node, theory.id, "read"), school.S)
        post(element_url(graph, node, video.id, "watch"), school.S, {"position_seconds": 100})
    post(element_url(graph, node, choice.id, "answer"), school.S, {"answer": [2]})
    post(element_url(graph, node, choice.id, "answer"), school.S, {"answer": [0, 1]})
    post(element_url(graph, node, short.id, "answer"), school.S, {"answer": "zebra"})
    post(element_url(graph, node, problem.id, "answer"), school.S, {"answer": "Because"})
    post(element_url(graph, node, problem.id, "answer"), school.S, {"answer": "x"}, status=409)
    post(element_url(graph, node, choice.id, "answer"), school.S, {"answer": "x"}, status=400)
    post(element_url(graph, node, choice.id, "answer"), school.P, {"answer": [0]}, status=403)
    get(lesson_url(graph, node), school.S)
    get(f"{API}review-queue/", school.E)
    get(f"{API}review-queue/", school.S, status=403)
    answer_id = api.get(f"{API}review-queue/", school.E).json["items"][0]["id"]
    post(f"{API}answers/{answer_id}/grade/", school.E, {"score": 11}, status=400)
    post(f"{API}answers/{answer_id}/grade/", school.E, {"score": 8, "feedback": "Well"})
    post(f"{API}answers/{answer_id}/grade/", school.E, {"score": 8}, status=409)
    get(lesson_url(graph, node), school.S)
    get(f"{API}graphs/{graph.id}/next/", school.S)
    get(f"{API}templates/{template.graph.id}/overview/", school.E)
    get(f"{API}templates/{template.graph.id}/overview/", school.S, status=403)
    get(f"{API}templates/{template.graph.id}/overview/csv/", school.A)
    for method, res in calls:
        contract.check(method, res.request.path, res)
    assert {res.status_int for _, res in calls} == {200, 400, 403, 409}
