"""The answers of a quick question (``correct``, ``accepted_answers``) and its explanation
reach no student-facing body before the element is completed or its attempts are spent.

The walk calls every route of the knowledge API (found through Cornice, so a new endpoint
is walked too) with every method, as the student and as a parent, with the ids of a real
graph, and looks through every body; then it checks that the same look does find them once
the question is answered right (so the check can fail)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cornice.service import get_services
from learning_support import (
    API,
    PROBLEM,
    SECRET_ACCEPTED,
    SECRET_EXPLANATION,
    THEORY,
    VIDEO,
    element_url,
    elements_of,
    lesson_url,
)

SECRET_CHOICE = "choice-explanation-secret"
CHOICE = (
    "quick_question",
    {
        "question": "Which are halves?",
        "choices": ["1/2", "2/4", "1/3"],
        "correct": [0, 1],
        "explanation": SECRET_CHOICE,
    },
    True,
    {"max_score": 3, "max_attempts": 50},
)
SHORT = (
    "quick_question",
    {
        "question": "Name the animal with stripes",
        "accepted_answers": [SECRET_ACCEPTED],
        "explanation": SECRET_EXPLANATION,
    },
    True,
    {"max_attempts": 50},
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
WRONG = {"answer": {"quick_question": None, "text_problem": "My proof"}}


@pytest.fixture(scope="module")
def unlimited_app(make_app: Any) -> Any:
    """Rate limits off (the API burst limit is fixed when the app is built): the walk sends
    far more than 20 requests a second."""
    return make_app(rate_limit_enabled="false")


@pytest.fixture
def testapp(unlimited_app: Any, dbsession: Any, client: Any) -> Any:
    return client(unlimited_app)


def leaks(body: Any) -> list[str]:
    """What of the answers ``body`` shows."""
    found = []
    text = json.dumps(body)
    for secret in (SECRET_ACCEPTED, SECRET_EXPLANATION, SECRET_CHOICE):
        if secret in text:
            found.append(secret)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key in ("accepted_answers", "explanation"):
                if key in value:
                    found.append(key)
            if "correct" in value and not isinstance(value["correct"], bool | None):
                found.append("correct")
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body)
    return found


def body_of(res: Any) -> Any:
    if res.content_type.endswith("json"):
        return res.json
    return res.text


@pytest.fixture
def world(school, make_graph, make_lesson, dbsession):
    lesson = make_lesson(school.x, school.E, elements=[CHOICE, SHORT, THEORY, VIDEO, PROBLEM])
    after = make_lesson(school.x, school.E, elements=[CHOICE])
    template = make_graph(school, lessons=[lesson, after], edges=[(0, 1, "required", 0)])
    made = make_graph(
        school,
        student=school.S,
        lessons=[lesson, after],
        edges=[(0, 1, "required", 0)],
        template=template.graph,
    )
    return made, template, lesson, elements_of(dbsession, lesson)


def urls(made, template, lesson, elements, answer_id):
    """Every knowledge route with real ids, and each element's action routes per element."""
    choice = elements[0]
    for service in get_services():
        if not service.path.startswith(API):
            continue
        methods = {d[0] for d in service.definitions} - {"HEAD"}
        names = set(PLACEHOLDER.findall(service.path))
        element_ids = [e.id for e in elements] if "element_id" in names else [choice.id]
        for element_id in element_ids:
            ids = {"node_id": made.nodes[0].id, "element_id": element_id, "dependency_id": 1}
            if service.path.startswith(API + "graphs/"):
                ids["id"] = made.graph.id
            elif service.path.startswith(API + "templates/"):
                ids["id"] = template.graph.id
                ids["node_id"] = template.nodes[0].id
            elif service.path.startswith(API + "lessons/"):
                ids["id"] = lesson.id
            elif service.path.startswith(API + "answers/"):
                ids["id"] = answer_id
            else:
                ids["id"] = element_id
            for method in sorted(methods):
                yield method, service.path.format(**ids), element_id


def walk_as(api, user, made, template, lesson, elements, answer_id, safe_only=False):
    kinds = {e.id: e.type for e in elements}
    seen = {}
    for method, url, element_id in urls(made, template, lesson, elements, answer_id):
        if safe_only and method != "GET":
            continue
        headers = api.as_(user)
        if method == "GET":
            res = api.testapp.get(url, headers=headers, expect_errors=True)
        else:
            body: dict[str, Any] = {}
            if url.endswith("/answer/"):
                kind = kinds[element_id]
                body = {"answer": [2] if element_id == elements[0].id else "wrong"}
                if kind == "text_problem":
                    body = {"answer": "My proof"}
            elif url.endswith("/watch/"):
                body = {"seconds": 1}
            call = getattr(api.testapp, f"{method.lower()}_json")
            res = call(url, body, headers=headers, expect_errors=True)
        seen[(method, url)] = res.status_int
        assert leaks(body_of(res)) == [], (method, url, res.status_int, res.text[:500])
    for path in ("/api/notifications/", "/api/dashboard/"):
        res = api.testapp.get(path, headers=api.as_(user), expect_errors=True)
        assert leaks(body_of(res)) == [], (path, res.text[:500])
    return seen


def test_no_student_facing_body_shows_the_answers_before_completion(world, school, api, dbsession):
    made, template, lesson, elements = world
    choice, short, *_ = elements
    # Some history first: started elements, wrong answers, a pending text answer.
    for element in elements:
        api.post(element_url(made.graph, made.nodes[0], element.id, "start"), school.S, status=200)
    api.post(
        element_url(made.graph, made.nodes[0], choice.id, "answer"),
        school.S,
        {"answer": [0]},
        status=200,
    )
    api.post(
        element_url(made.graph, made.nodes[0], short.id, "answer"),
        school.S,
        {"answer": "horse"},
        status=200,
    )
    api.post(
        element_url(made.graph, made.nodes[0], elements[4].id, "answer"),
        school.S,
        {"answer": "My proof"},
        status=200,
    )
    from sqlalchemy import select

    from thebot.knowledge.models import Answer

    answer_id = dbsession.scalars(select(Answer.id).where(Answer.status == "pending")).one()
    seen = walk_as(api, school.S, made, template, lesson, elements, answer_id)
    lesson_path = lesson_url(made.graph, made.nodes[0])
    assert seen[("GET", lesson_path)] == 200
    for element in (choice, short):
        assert seen[("POST", element_url(made.graph, made.nodes[0], element.id, "answer"))] == 200
    assert seen[("GET", f"{API}graphs/{made.graph.id}/")] == 200
    walk_as(api, school.P, made, template, lesson, elements, answer_id, safe_only=True)

    # The look finds them once the question is answered right: the check can fail.
    res = api.post(
        element_url(made.graph, made.nodes[0], choice.id, "answer"),
        school.S,
        {"answer": [0, 1]},
        status=200,
    )
    assert set(leaks(res.json)) == {SECRET_CHOICE, "correct", "explanation"}
    shown = api.get(lesson_path, school.S).json
    assert set(leaks(shown)) == {SECRET_CHOICE, "correct", "explanation"}
    assert SECRET_ACCEPTED not in json.dumps(shown)  # the short answer is still open
