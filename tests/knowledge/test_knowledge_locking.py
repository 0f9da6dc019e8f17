"""Prerequisites are enforced on the server: every student action on a locked lesson is a
409 listing what is missing, and changes nothing; unlocking cascades in the transaction
that completes a prerequisite; ``min_score_percent`` counts; the re-lock rule."""

from __future__ import annotations

import pytest
from learning_support import CHOICE, PROBLEM, THEORY, VIDEO, element_url, elements_of, lesson_url
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from factories import DependencyFactory
from thebot.knowledge.models import Answer, ElementProgress, LessonProgress
from thebot.knowledge.states import refresh_graph

ACTIONS = {
    "start": None,
    "answer": {"answer": [0, 1]},
    "read": None,
    "watch": {"seconds": 5},
}


def lessons_in_chain(make_lesson, school, n=3):
    kinds = [THEORY, VIDEO, CHOICE, PROBLEM]
    return [make_lesson(school.x, school.E, elements=kinds, title=f"Step {i}") for i in range(n)]


def state_of(dbsession, node):
    return dbsession.scalar(select(LessonProgress.state).where(LessonProgress.node_id == node.id))


CASES = [("view", 0)] + [(action, kind) for action in ACTIONS for kind in range(4)]


@pytest.mark.parametrize("action, element_kind", CASES)
def test_every_student_action_on_a_locked_lesson_is_refused(
    action, element_kind, school, make_graph, make_lesson, api, dbsession
):
    lessons = lessons_in_chain(make_lesson, school, 2)
    made = make_graph(school, student=school.S, lessons=lessons, edges=[(0, 1, "required", 60)])
    locked = made.nodes[1]
    element = elements_of(dbsession, lessons[1])[element_kind]
    if action == "view":
        res = api.get(lesson_url(made.graph, locked), school.S, status=409)
    else:
        url = element_url(made.graph, locked, element.id, action)
        res = api.post(url, school.S, ACTIONS[action], status=409)
    problem = res.json
    assert res.content_type == "application/problem+json"
    assert problem["type"].endswith("lesson-locked")
    assert problem["missing"] == [
        {
            "node_id": made.nodes[0].id,
            "lesson_id": lessons[0].id,
            "title": "Step 0",
            "min_score_percent": 60,
        }
    ]
    assert dbsession.scalar(select(func.count()).select_from(ElementProgress)) == 0
    assert dbsession.scalar(select(func.count()).select_from(Answer)) == 0
    assert state_of(dbsession, locked) == "locked"


def test_others_see_a_locked_lesson_as_it_is(school, make_graph, make_lesson, api):
    made = make_graph(school, student=school.S, lessons=2, edges=[(0, 1, "required", 0)])
    for who in ("P", "E", "T", "A"):
        body = api.get(lesson_url(made.graph, made.nodes[1]), school.people[who]).json
        assert body["state"] == "locked"
        assert [m["node_id"] for m in body["missing"]] == [made.nodes[0].id]


def complete_choice_lesson(api, school, made, node, lesson, dbsession, right=True):
    (choice,) = elements_of(dbsession, lesson)
    url = element_url(made.graph, node, choice.id, "answer")
    answers = [[0, 1]] if right else [[2], [2]]
    for answer in answers:
        body = api.post(url, school.S, {"answer": answer}, status=200).json
    assert body["lesson"]["state"] == "completed"
    return body


def test_unlocking_cascades_and_waits_for_every_required_prerequisite(
    school, make_graph, make_lesson, api, dbsession
):
    lessons = [make_lesson(school.x, school.E, elements=[CHOICE]) for _ in range(4)]
    # 0 -> 2 and 1 -> 2 required; 2 -> 3 required; 0 -> 3 optional (never blocks).
    made = make_graph(
        school,
        student=school.S,
        lessons=lessons,
        edges=[
            (0, 2, "required", 0),
            (1, 2, "required", 0),
            (2, 3, "required", 0),
            (0, 3, "optional", 100),
        ],
    )
    n = made.nodes
    assert [state_of(dbsession, node) for node in n] == [
        "unlocked",
        "unlocked",
        "locked",
        "locked",
    ]
    first = complete_choice_lesson(api, school, made, n[0], lessons[0], dbsession)
    assert first["unlocked_node_ids"] == []
    second = complete_choice_lesson(api, school, made, n[1], lessons[1], dbsession)
    assert second["unlocked_node_ids"] == [n[2].id]
    third = complete_choice_lesson(api, school, made, n[2], lessons[2], dbsession)
    assert third["unlocked_node_ids"] == [n[3].id]
    assert state_of(dbsession, n[3]) == "unlocked"


def test_min_score_percent_decides(school, make_graph, make_lesson, api, dbsession):
    lessons = [make_lesson(school.x, school.E, elements=[CHOICE]) for _ in range(2)]
    made = make_graph(school, student=school.S, lessons=lessons, edges=[(0, 1, "required", 50)])
    failed = complete_choice_lesson(
        api, school, made, made.nodes[0], lessons[0], dbsession, right=False
    )
    assert failed["lesson"]["score"] == 0
    assert failed["unlocked_node_ids"] == []
    res = api.get(lesson_url(made.graph, made.nodes[1]), school.S, status=409)
    assert res.json["missing"][0]["min_score_percent"] == 50


def test_a_new_required_dependency_relocks_an_unstarted_lesson_only(
    school, make_graph, make_lesson, api, dbsession
):
    lessons = [make_lesson(school.x, school.E, elements=[THEORY, CHOICE]) for _ in range(3)]
    made = make_graph(school, student=school.S, lessons=lessons)
    n = made.nodes
    assert [state_of(dbsession, node) for node in n] == ["unlocked"] * 3
    theory, _choice = elements_of(dbsession, lessons[1])
    api.post(element_url(made.graph, n[1], theory.id, "start"), school.S, status=200)
    assert state_of(dbsession, n[1]) == "in_progress"
    for target in (n[1], n[2]):
        DependencyFactory(graph_id=made.graph.id, from_node_id=n[0].id, to_node_id=target.id)
    dbsession.flush()
    refresh_graph(dbsession, made.graph)
    assert state_of(dbsession, n[2]) == "locked"  # not started: locked again
    assert state_of(dbsession, n[1]) == "in_progress"  # started: stays open
    api.get(lesson_url(made.graph, n[2]), school.S, status=409)
    opened = api.get(lesson_url(made.graph, n[1]), school.S).json
    assert opened["state"] == "in_progress"
    assert [m["node_id"] for m in opened["missing"]] == [n[0].id]  # listed, as advice
    _theory, choice = elements_of(dbsession, lessons[1])
    url = element_url(made.graph, n[1], choice.id, "answer")
    assert api.post(url, school.S, {"answer": [0, 1]}, status=200).json["correct"] is True


def test_a_stale_lock_never_refuses_what_the_rules_allow(
    school, make_graph, make_lesson, api, dbsession
):
    made = make_graph(school, student=school.S, lessons=2, edges=[(0, 1, "required", 0)])
    edge = made.edges[0]
    dbsession.delete(edge)  # removed without a refresh: lesson 1 is stored locked
    dbsession.flush()
    assert state_of(dbsession, made.nodes[1]) == "locked"
    body = api.get(lesson_url(made.graph, made.nodes[1]), school.S).json
    assert (body["state"], body["missing"]) == ("unlocked", [])


def test_a_required_lesson_without_elements_never_blocks(school, make_lesson, make_graph):
    """Nothing in an empty lesson can be completed: its dependents open regardless; once it
    gets an element, it blocks like any other (the re-lock rule for unstarted lessons)."""
    from thebot.knowledge import totals
    from thebot.knowledge.models import LessonElement, LessonProgress
    from thebot.knowledge.states import refresh_graph

    empty = make_lesson(school.x, school.E, elements=[], title="Empty")
    after = make_lesson(school.x, school.E, title="After")
    built = make_graph(
        school, student=school.S, lessons=[empty, after], edges=[(0, 1, "required", 0)]
    )
    dbsession = object_session(built.graph)
    state = dbsession.get(LessonProgress, progress_id(dbsession, built.nodes[1])).state
    assert state == "unlocked"
    filler = make_lesson(school.x, school.E)
    element_id = (
        dbsession.query(LessonElement.element_id).filter_by(lesson_id=filler.id).first()[0]
    )
    dbsession.add(
        LessonElement(lesson_id=empty.id, element_id=element_id, position=0, required=True)
    )
    dbsession.flush()
    totals.store(dbsession, [empty.id])
    refresh_graph(dbsession, built.graph)
    dbsession.expire_all()
    assert dbsession.get(LessonProgress, progress_id(dbsession, built.nodes[1])).state == "locked"


def progress_id(dbsession, node):
    from thebot.knowledge.models import LessonProgress

    node_id = getattr(node, "id", node)
    return dbsession.query(LessonProgress.id).filter_by(node_id=node_id).scalar()
