"""Findings of an adversarial review of the knowledge graph (issue 16), each kept as a
regression test, and the malformed-input sweep that found no 500 (kept so a new field or
endpoint that crashes on a wrong type is caught).

- An author lowering an element's ``max_attempts`` below what a student already spent left
  the element open with no attempt left: the student could neither answer it nor ever
  complete the lesson (nor unlock what depends on it). It now fails, as on a wrong last
  attempt, and the lesson completes.
- Exporting a template inlined every element with its answers, also elements private to
  another author: any author of the subject could read them (a private element is a 404
  for them everywhere else). Only a caller who reads every element exports it (403).
- Deleting an element taken out of its lessons silently deleted the students' progress
  and graded answers on it (cascading foreign keys). It is a 409 while students have worked
  on it.
- The same quick question placed twice for a student (in two lessons of a graph, or one
  lesson in two graphs made from templates sharing it) had its progress per place: once
  failed in one place, its answer was shown, and the other place gave fresh attempts and
  full marks (and two open places gave twice the guesses). The first result now carries
  over, and open places share the attempts spent.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from knowledge_support import EXPORT_DOC
from learning_support import (
    ALL_KINDS,
    CHOICE,
    SECRET_EXPLANATION,
    THEORY,
    element_url,
    elements_of,
    lesson_url,
    path,
)
from sqlalchemy import func, select

from factories import LessonElementFactory
from thebot.knowledge.models import Answer, ElementProgress

HUGE = 10**30
BAD_VALUES: list[Any] = [
    HUGE,
    -HUGE,
    -1,
    0,
    "abc",
    "1",
    None,
    [],
    {},
    True,
    1.5,
    "\x00",
    "ü\u202e\U0001f600",
    [HUGE],
    [-1],
    ["a"],
    [None],
    [[0]],
    {"a": 1},
    "x" * 100_001,
]


# --- max_attempts lowered below the attempts spent ----------------------------------------


def test_lowering_max_attempts_fails_a_question_whose_attempts_are_spent(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [CHOICE])  # 2 attempts
    question = elements_of(dbsession, made.lessons[0])[0]
    answer = element_url(made.graph, made.nodes[0], question.id, "answer")
    assert api.post(answer, school.S, {"answer": [2]}, status=200).json["attempts_left"] == 1
    api.patch(f"elements/{question.id}/", school.E, {"max_attempts": 1})

    lesson = api.get(lesson_url(made.graph, made.nodes[0]), school.S).json
    element = lesson["elements"][0]
    assert element["progress"]["state"] == "failed"
    assert element["progress"]["score"] == 0
    assert element["content"]["explanation"] == SECRET_EXPLANATION  # revealed, as on failing
    assert lesson["state"] == "completed"  # its only required element is done
    graph = api.get(f"graphs/{made.graph.id}/", school.S).json
    assert graph["nodes"][1]["state"] == "unlocked"  # required at 0%: it opens
    api.post(answer, school.S, {"answer": [0, 1]}, status=409)


def test_lowering_max_attempts_leaves_students_with_attempts_left_alone(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [CHOICE])
    question = elements_of(dbsession, made.lessons[0])[0]
    answer = element_url(made.graph, made.nodes[0], question.id, "answer")
    api.post(answer, school.S, {"answer": [2]}, status=200)
    api.patch(f"elements/{question.id}/", school.E, {"max_attempts": 2})  # unchanged
    api.patch(f"elements/{question.id}/", school.E, {"max_attempts": 5})
    lesson = api.get(lesson_url(made.graph, made.nodes[0]), school.S).json
    assert lesson["elements"][0]["progress"]["state"] == "in_progress"
    assert "explanation" not in lesson["elements"][0]["content"]
    result = api.post(answer, school.S, {"answer": [0, 1]}, status=200).json
    assert (result["correct"], result["state"]) == (True, "completed")


# --- export of private elements ------------------------------------------------------------


def test_another_author_cannot_export_a_template_holding_private_elements(
    school, make_graph, make_lesson, api, dbsession
):
    lesson = make_lesson(school.x, school.E, elements=[CHOICE])
    made = make_graph(school, lessons=[lesson])
    question = elements_of(dbsession, lesson)[0]
    api.get(f"elements/{question.id}/", school.E2, status=404)  # private to E
    api.get(f"templates/{made.graph.id}/", school.E2)  # the template is the subject's
    refused = api.get(f"templates/{made.graph.id}/export/", school.E2, status=403)
    assert refused.json["element_ids"] == [question.id]
    assert SECRET_EXPLANATION not in refused.text
    for user in (school.E, school.A):
        exported = api.get(f"templates/{made.graph.id}/export/", user).json
        assert exported["elements"][0]["content"]["explanation"] == SECRET_EXPLANATION

    api.patch(f"elements/{question.id}/", school.E, {"shared": True})
    assert api.get(f"templates/{made.graph.id}/export/", school.E2).json["elements"]


# --- deleting an element students worked on ------------------------------------------------


def test_an_element_students_answered_is_not_deleted_with_their_answers(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [CHOICE, THEORY])
    question, theory = elements_of(dbsession, made.lessons[0])
    api.post(
        element_url(made.graph, made.nodes[0], question.id, "answer"),
        school.S,
        {"answer": [2]},
        status=200,
    )
    only_theory = {"elements": [{"element_id": theory.id, "required": True}]}
    api.patch(f"lessons/{made.lessons[0].id}/", school.E, only_theory)

    refused = api.delete(f"elements/{question.id}/", school.E, status=409)
    assert refused.json["progress_count"] == 1
    count = select(func.count()).select_from(Answer).where(Answer.element_id == question.id)
    assert dbsession.scalar(count) == 1
    worked = select(func.count()).select_from(ElementProgress)
    assert dbsession.scalar(worked.where(ElementProgress.element_id == question.id)) == 1

    other = make_lesson(school.x, school.E)
    unused, kept = elements_of(dbsession, other)
    api.patch(f"lessons/{other.id}/", school.E, {"elements": [{"element_id": kept.id}]})
    api.delete(f"elements/{unused.id}/", school.E)  # nobody worked on it: deleted


# --- the same question in two places ------------------------------------------------------


def test_a_question_failed_in_one_lesson_stays_failed_in_another(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [CHOICE], edges=[])
    question = elements_of(dbsession, made.lessons[0])[0]
    LessonElementFactory(lesson_id=made.lessons[1].id, element_id=question.id, position=9)
    dbsession.flush()
    first = element_url(made.graph, made.nodes[0], question.id, "answer")
    api.post(first, school.S, {"answer": [2]}, status=200)
    failed = api.post(first, school.S, {"answer": [2]}, status=200).json
    assert failed["state"] == "failed"
    assert failed["element"]["content"]["correct"] == [0, 1]  # shown: attempts spent

    second = element_url(made.graph, made.nodes[1], question.id, "answer")
    result = api.post(second, school.S, {"answer": [0, 1]}, status=200).json
    assert (result["state"], result["score"], result["attempts_left"]) == ("failed", 0, 0)
    assert "correct" not in result  # not graded: the first result stands
    assert result["explanation"] == SECRET_EXPLANATION
    api.post(second, school.S, {"answer": [0, 1]}, status=409)


def test_a_question_finished_in_one_graph_is_finished_when_started_in_another(
    school, make_graph, make_lesson, api, dbsession
):
    shared = make_lesson(school.x, school.E, elements=[CHOICE])
    question = elements_of(dbsession, shared)[0]
    one = make_graph(school, student=school.S, lessons=[shared])
    other = make_graph(school, student=school.S, lessons=[shared, make_lesson(school.x, school.E)])
    api.post(
        element_url(one.graph, one.nodes[0], question.id, "answer"),
        school.S,
        {"answer": [0, 1]},
        status=200,
    )
    started = api.post(
        element_url(other.graph, other.nodes[0], question.id, "start"), school.S, status=200
    ).json
    assert started["element"]["progress"]["state"] == "completed"
    assert started["element"]["progress"]["score"] == 3
    assert started["lesson"]["state"] == "completed"


def test_a_question_open_in_two_places_shares_its_attempts(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [CHOICE], edges=[])  # 2 attempts
    question = elements_of(dbsession, made.lessons[0])[0]
    LessonElementFactory(lesson_id=made.lessons[1].id, element_id=question.id, position=9)
    dbsession.flush()
    first = element_url(made.graph, made.nodes[0], question.id, "answer")
    second = element_url(made.graph, made.nodes[1], question.id, "answer")
    assert api.post(first, school.S, {"answer": [2]}, status=200).json["attempts_left"] == 1
    wrong = api.post(second, school.S, {"answer": [0]}, status=200).json
    assert (wrong["correct"], wrong["state"], wrong["attempts_left"]) == (False, "failed", 0)
    again = api.post(first, school.S, {"answer": [0, 1]}, status=200).json
    assert (again["state"], again["score"]) == ("failed", 0)  # no third guess


def test_a_question_answered_only_in_one_place_is_graded_there(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [CHOICE], edges=[])
    question = elements_of(dbsession, made.lessons[0])[0]
    LessonElementFactory(lesson_id=made.lessons[1].id, element_id=question.id, position=9)
    dbsession.flush()
    second = element_url(made.graph, made.nodes[1], question.id, "answer")
    result = api.post(second, school.S, {"answer": [0, 1]}, status=200).json
    assert (result["correct"], result["state"], result["score"]) == (True, "completed", 3)
    assert result["attempts_left"] == 1


# --- the malformed-input sweep -------------------------------------------------------------


def cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


BAD_QUERY = [
    "abc",
    str(HUGE),
    "-1",
    "0",
    "\x00",
    "é",
    cursor([HUGE]),
    cursor(["x"]),
    cursor([None]),
    cursor([HUGE, HUGE]),
    cursor(["2020-01-01T00:00:00+00:00", HUGE]),
    cursor([[1]]),
]


def test_no_malformed_body_query_or_path_is_a_server_error(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, ALL_KINDS)
    template = make_graph(school)
    graph, node = made.graph, made.nodes[0]
    lesson_id = made.lessons[0].id
    elements = elements_of(dbsession, made.lessons[0])
    t_nodes = template.nodes
    k = "/api/knowledge/"
    tpl = f"{k}templates/{template.graph.id}/"
    bodies = {
        ("post", k + "elements/"): {
            "type": "theory",
            "title": "t",
            "subject_id": school.x.id,
            "content": {"markdown": "m"},
        },
        ("patch", f"{k}elements/{elements[0].id}/"): {"title": "t", "max_attempts": 2},
        ("post", k + "lessons/"): {
            "title": "t",
            "subject_id": school.x.id,
            "elements": [{"element_id": elements[0].id, "required": True}],
        },
        ("patch", f"{k}lessons/{lesson_id}/"): {"title": "t"},
        ("post", k + "templates/"): {"title": "t", "subject_id": school.x.id},
        ("patch", tpl): {"title": "t"},
        ("post", tpl + "nodes/"): {"lesson_id": lesson_id, "x": 1, "y": 1},
        ("patch", f"{tpl}nodes/{t_nodes[0].id}/"): {"x": 1},
        ("post", tpl + "dependencies/"): {
            "from_node_id": t_nodes[0].id,
            "to_node_id": t_nodes[1].id,
            "type": "required",
            "min_score_percent": 50,
        },
        ("post", k + "graphs/"): {"student_id": school.S.id, "subject_id": school.x.id},
        ("post", f"{k}graphs/{graph.id}/nodes/"): {"lesson_id": lesson_id},
        ("post", f"{k}graphs/{graph.id}/dependencies/"): {
            "from_node_id": made.nodes[1].id,
            "to_node_id": node.id,
        },
        ("post", tpl + "propagate/"): {},
    }
    crashes: list[Any] = []

    def send(method: str, url: str, user: Any, body: Any = None, **query: Any) -> None:
        app, headers = api.testapp, api.as_(user)
        if method == "get":
            res = app.get(url, params=query, headers=headers, expect_errors=True)
        elif method == "delete":
            res = app.delete(url, headers=headers, expect_errors=True)
        else:
            res = getattr(app, f"{method}_json")(url, body, headers=headers, expect_errors=True)
        if res.status_int >= 500:
            crashes.append((method, url, body, query, res.status_int))

    for (method, url), body in bodies.items():
        for key in [*body, "unknown"]:
            for bad in BAD_VALUES:
                send(method, url, school.A, {**body, key: bad})
        for bad in ([], "x", None, 1):
            send(method, url, school.A, bad)
    for element in elements:
        for action in ("start", "answer", "read", "watch"):
            for key in ("answer", "position_seconds", "seconds"):
                for bad in BAD_VALUES:
                    send(
                        "post", element_url(graph, node, element.id, action), school.S, {key: bad}
                    )
    lists = ["elements/", "lessons/", "templates/", "graphs/", "review-queue/"]
    for url in [k + u for u in lists] + [tpl + "overview/", tpl + "overview/csv/"]:
        for key in ("student", "subject", "template", "type", "tag", "limit", "cursor"):
            for bad in BAD_QUERY:
                send("get", url, school.E, **{key: bad})
    for url in [
        f"{k}elements/{HUGE}/",
        f"{k}templates/{HUGE}/",
        f"{k}graphs/{HUGE}/",
        f"{k}graphs/{graph.id}/nodes/{HUGE}/",
        f"{k}answers/{HUGE}/grade/",
        element_url(graph, node, HUGE, "start"),
    ]:
        for method in ("get", "post", "patch", "delete"):
            send(method, url, school.A, {})
    assert not crashes


def mutations(doc: Any, at: tuple[Any, ...] = ()) -> Any:
    """Every place of ``doc`` with every bad value."""
    children = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for key, value in children:
        for bad in BAD_VALUES:
            yield (*at, key), bad
        if isinstance(value, dict | list):
            yield from mutations(value, (*at, key))


def test_no_malformed_import_document_is_a_server_error(school, api):
    doc = {**EXPORT_DOC, "subject_id": school.x.id}
    crashes = []
    for where, bad in mutations(doc):
        changed = copy.deepcopy(doc)
        target = changed
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = bad
        res = api.testapp.post_json(
            "/api/knowledge/templates/import/",
            changed,
            headers=api.as_(school.E),
            expect_errors=True,
        )
        if res.status_int >= 500:
            crashes.append((where, bad, res.status_int))
    assert not crashes
