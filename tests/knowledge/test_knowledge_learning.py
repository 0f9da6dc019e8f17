"""The student's lesson: reading it, starting, answering, reading theory, watching video;
lesson completion and the cascade to the lessons that depend on it."""

from __future__ import annotations

import datetime as dt

import time_machine
from learning_support import (
    ALL_KINDS,
    CHOICE,
    PROBLEM,
    SHORT,
    THEORY,
    VIDEO,
    element_url,
    elements_of,
    lesson_url,
    path,
)
from sqlalchemy import select

from factories import (
    AnswerFactory,
    ElementFactory,
    ElementProgressFactory,
    LessonElementFactory,
)
from thebot.knowledge import totals
from thebot.knowledge.models import Answer, ElementProgress, LessonProgress

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def test_a_lesson_shows_elements_in_order_with_progress(school, make_graph, make_lesson, api):
    made = path(make_graph, make_lesson, school, ALL_KINDS)
    body = api.get(lesson_url(made.graph, made.nodes[0]), school.S).json
    assert body["state"] == "unlocked"
    assert body["title"] == "Halves"
    assert [e["type"] for e in body["elements"]] == [
        "theory",
        "video",
        "quick_question",
        "quick_question",
        "text_problem",
        "theory",
    ]
    assert [e["required"] for e in body["elements"]] == [True] * 5 + [False]
    assert body["max_score"] == 1 + 2 + 3 + 1 + 10  # required elements only
    assert body["required_total"] == 5
    assert body["elements"][2]["content"] == {
        "question": "Which are halves?",
        "choices": ["1/2", "2/4", "1/3"],
        "kind": "multiple_choice",
    }
    assert body["elements"][0]["min_read_seconds"] == 120  # half of 4 minutes
    assert body["elements"][1]["watch_seconds_needed"] == 90
    assert all(e["progress"]["state"] == "not_started" for e in body["elements"])
    assert body["elements"][2]["progress"]["attempts_left"] == 2


def test_quick_question_graded_on_the_server(school, make_graph, make_lesson, api, dbsession):
    made = path(make_graph, make_lesson, school, [CHOICE, SHORT])
    choice, short = elements_of(dbsession, made.lessons[0])
    url = element_url(made.graph, made.nodes[0], choice.id, "answer")
    wrong = api.post(url, school.S, {"answer": [0]}, status=200).json
    assert (wrong["correct"], wrong["score"], wrong["attempts_left"]) == (False, 0, 1)
    assert "explanation" not in wrong
    assert "correct" not in wrong["element"]["content"]
    right = api.post(url, school.S, {"answer": [1, 0]}, status=200).json
    assert (right["correct"], right["score"], right["attempts_left"]) == (True, 3, 0)
    assert right["state"] == "completed"
    assert right["explanation"].startswith("because")
    assert right["element"]["content"]["correct"] == [0, 1]
    again = api.post(url, school.S, {"answer": [0, 1]}, status=409).json
    assert again["type"].endswith("element-done")
    url = element_url(made.graph, made.nodes[0], short.id, "answer")
    ok = api.post(url, school.S, {"answer": "  ZEB RA "}, status=200).json
    assert ok["correct"] is True
    lesson = ok["lesson"]
    assert (lesson["state"], lesson["score"], lesson["max_score"]) == ("completed", 4, 4)
    assert ok["unlocked_node_ids"] == [made.nodes[1].id]
    rows = dbsession.scalars(select(Answer).order_by(Answer.id)).all()
    assert [(a.attempt, a.correct, a.score) for a in rows] == [
        (1, False, 0),
        (2, True, 3),
        (1, True, 1),
    ]


def test_attempts_run_out_and_the_element_fails(school, make_graph, make_lesson, api, dbsession):
    made = path(make_graph, make_lesson, school, [CHOICE])
    (choice,) = elements_of(dbsession, made.lessons[0])
    url = element_url(made.graph, made.nodes[0], choice.id, "answer")
    api.post(url, school.S, {"answer": [2]}, status=200)
    last = api.post(url, school.S, {"answer": [0]}, status=200).json
    assert (last["state"], last["attempts_left"], last["score"]) == ("failed", 0, 0)
    assert last["explanation"].startswith("because")  # revealed once attempts are exhausted
    # A failed element is done: the lesson completes with what was earned.
    assert (last["lesson"]["state"], last["lesson"]["score"]) == ("completed", 0)
    refused = api.post(url, school.S, {"answer": [0, 1]}, status=409).json
    assert refused["type"].endswith("element-done")


def test_answer_shapes_are_checked(school, make_graph, make_lesson, api, dbsession):
    made = path(make_graph, make_lesson, school, [CHOICE, SHORT, THEORY])
    choice, short, theory = elements_of(dbsession, made.lessons[0])
    node = made.nodes[0]
    for value in ([5], [0, 0], "text", [True], [], None, {"a": 1}, -1):
        api.post(
            element_url(made.graph, node, choice.id, "answer"),
            school.S,
            {"answer": value},
            status=400,
        )
    api.post(
        element_url(made.graph, node, short.id, "answer"), school.S, {"answer": [0]}, status=400
    )
    api.post(
        element_url(made.graph, node, choice.id, "answer"),
        school.S,
        {"answer": [0], "extra": 1},
        status=400,
    )
    wrong = api.post(
        element_url(made.graph, node, theory.id, "answer"), school.S, {"answer": "x"}, status=409
    ).json
    assert wrong["type"].endswith("wrong-element-type")
    progress = dbsession.scalars(select(ElementProgress)).all()
    assert [p.attempts for p in progress] == []  # nothing was started nor spent


def test_theory_completes_only_after_the_minimum_time(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [THEORY])
    (theory,) = elements_of(dbsession, made.lessons[0])
    read = element_url(made.graph, made.nodes[0], theory.id, "read")
    refused = api.post(read, school.S, status=409).json
    assert refused["type"].endswith("not-started")
    with time_machine.travel(NOW, tick=False):
        started = api.post(
            element_url(made.graph, made.nodes[0], theory.id, "start"), school.S, status=200
        ).json
    assert started["lesson"]["state"] == "in_progress"
    with time_machine.travel(at(119.5), tick=False):
        early = api.post(read, school.S, status=409).json
    assert early["type"].endswith("too-early")
    assert early["seconds_remaining"] == 1
    with time_machine.travel(at(120), tick=False):
        done = api.post(read, school.S, status=200).json
    assert done["element"]["progress"]["state"] == "completed"
    assert done["lesson"]["state"] == "completed"
    assert done["lesson"]["score"] == theory.max_score


def test_video_credit_never_exceeds_wall_clock_nor_duration(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [VIDEO])
    (video,) = elements_of(dbsession, made.lessons[0])
    watch = element_url(made.graph, made.nodes[0], video.id, "watch")
    with time_machine.travel(NOW, tick=False):
        api.post(element_url(made.graph, made.nodes[0], video.id, "start"), school.S, status=200)
    with time_machine.travel(at(30), tick=False):
        body = api.post(watch, school.S, {"position_seconds": 100}, status=200).json
    assert body["element"]["progress"]["watched_seconds"] == 30  # 30 s since the start
    assert body["element"]["progress"]["state"] == "in_progress"
    with time_machine.travel(at(60), tick=False):
        body = api.post(watch, school.S, {"seconds": 3600}, status=200).json
    assert body["element"]["progress"]["watched_seconds"] == 60
    with time_machine.travel(at(70), tick=False):
        body = api.post(watch, school.S, {"position_seconds": 10}, status=200).json
    assert body["element"]["progress"]["watched_seconds"] == 60  # going back takes nothing
    with time_machine.travel(at(89), tick=False):
        body = api.post(watch, school.S, {"seconds": 29}, status=200).json
    assert body["element"]["progress"]["watched_seconds"] == 89
    assert body["element"]["progress"]["state"] == "in_progress"  # 90 of 100 s needed
    with time_machine.travel(at(500), tick=False):
        body = api.post(watch, school.S, {"position_seconds": 1000}, status=200).json
    assert body["element"]["progress"]["watched_seconds"] == 100  # the duration caps it
    assert body["element"]["progress"]["state"] == "completed"
    assert body["lesson"]["score"] == 2
    for bad in ({}, {"seconds": 1, "position_seconds": 1}, {"seconds": -1}, {"seconds": 1.5}):
        api.post(watch, school.S, bad, status=400)


def test_text_problem_waits_for_a_grade(school, make_graph, make_lesson, api, dbsession):
    made = path(make_graph, make_lesson, school, [PROBLEM])
    (problem,) = elements_of(dbsession, made.lessons[0])
    url = element_url(made.graph, made.nodes[0], problem.id, "answer")
    body = api.post(url, school.S, {"answer": "Multiply by 2/2."}, status=200).json
    assert body["state"] == "pending_review"
    assert "correct" not in body
    assert body["lesson"]["state"] == "in_progress"
    again = api.post(url, school.S, {"answer": "Another try"}, status=409).json
    assert again["type"].endswith("pending-review")
    answer = dbsession.scalars(select(Answer)).one()
    assert (answer.status, answer.answer, answer.attempt) == ("pending", "Multiply by 2/2.", 1)


def test_optional_elements_never_count(school, make_graph, make_lesson, api, dbsession):
    optional = ("theory", {"markdown": "x"}, False, {"estimated_minutes": 0})
    made = path(make_graph, make_lesson, school, [CHOICE, optional])
    choice, extra = elements_of(dbsession, made.lessons[0])
    node = made.nodes[0]
    api.post(element_url(made.graph, node, extra.id, "start"), school.S, status=200)
    body = api.post(element_url(made.graph, node, extra.id, "read"), school.S, status=200).json
    assert body["lesson"]["state"] == "in_progress"
    assert (body["lesson"]["score"], body["lesson"]["required_done"]) == (0, 0)
    body = api.post(
        element_url(made.graph, node, choice.id, "answer"),
        school.S,
        {"answer": [0, 1]},
        status=200,
    ).json
    assert body["lesson"]["state"] == "completed"
    assert (body["lesson"]["score"], body["lesson"]["max_score"]) == (3, 3)
    row = dbsession.scalars(select(LessonProgress).where(LessonProgress.node_id == node.id)).one()
    assert (row.state, row.score, row.max_score) == ("completed", 3, 3)


def test_next_recommends_by_progress_then_recommended_edges_then_place(
    school, make_graph, make_lesson, api, dbsession
):
    # A (x=0), B (x=100), C (x=200); C -> A recommended: A waits for C.
    made = make_graph(school, student=school.S, lessons=3, edges=[(2, 0, "recommended", 0)])
    a, b, c = made.nodes
    url = f"graphs/{made.graph.id}/next/"
    first = api.get(url, school.S).json["next"]
    assert (first["node_id"], first["reason"]) == (b.id, "ready")
    element = elements_of(dbsession, made.lessons[2])[0]
    api.post(element_url(made.graph, c, element.id, "start"), school.S, status=200)
    going = api.get(url, school.P).json["next"]
    assert (going["node_id"], going["state"], going["reason"]) == (c.id, "in_progress", "continue")
    rows = {r.node_id: r for r in dbsession.scalars(select(LessonProgress)).all()}
    rows[b.id].state = rows[c.id].state = "completed"
    dbsession.flush()
    last = api.get(url, school.S).json["next"]
    assert (last["node_id"], last["reason"], last["recommended_first"]) == (a.id, "ready", [])
    rows[c.id].state = "unlocked"
    rows[b.id].state = "completed"
    rows[a.id].state = "unlocked"
    dbsession.flush()
    waiting = api.get(url, school.S).json["next"]
    assert (waiting["node_id"], waiting["reason"]) == (c.id, "ready")
    rows[c.id].state = "completed"
    rows[a.id].state = "completed"
    dbsession.flush()
    assert api.get(url, school.S).json == {"next": None}


def test_a_lesson_reads_in_the_same_queries_for_1_and_30_elements(
    school, make_graph, make_lesson, api, dbsession, queries_for_1_and_30
):
    lesson = make_lesson(school.x, school.E, elements=[])
    made = make_graph(school, student=school.S, lessons=[lesson])
    node = made.nodes[0]

    def add(n: int) -> None:
        for _ in range(n):
            element = ElementFactory(
                subject_id=school.x.id, type="text_problem", content={"statement": "Why?"}
            )
            LessonElementFactory(lesson_id=lesson.id, element_id=element.id)
            progress = ElementProgressFactory(
                node_id=node.id, element_id=element.id, state="pending_review", attempts=1
            )
            AnswerFactory(progress_id=progress.id)
        totals.store(dbsession, [lesson.id])

    def fetch() -> list:
        return api.get(lesson_url(made.graph, node), school.S).json["elements"]

    api.get(lesson_url(made.graph, node), school.S)
    small, large = queries_for_1_and_30(add, fetch)
    assert all(e["progress"]["last_answer"]["status"] == "pending" for e in large)
