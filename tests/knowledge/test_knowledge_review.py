"""Teachers grade text problems: the review queue (who sees which answers, constant
queries), grading (the element completes, the lesson completes and unlocks the next, the
student is notified of both), and the refusals (twice, a score above the maximum)."""

from __future__ import annotations

import pytest
from learning_support import PROBLEM, THEORY, element_url, elements_of, path
from sqlalchemy import select

from factories import AnswerFactory, ElementFactory, ElementProgressFactory
from thebot.knowledge.models import Answer, ElementProgress, LessonProgress
from thebot.notifications.models import Notification

QUEUE = "review-queue/"


def submit(api, school, made, element, text="Multiply by 2/2."):
    url = element_url(made.graph, made.nodes[0], element.id, "answer")
    api.post(url, school.S, {"answer": text}, status=200)


def queued(api, user, **query):
    return api.get(QUEUE, user, **query).json["items"]


def test_grading_completes_the_lesson_unlocks_the_next_and_tells_the_student(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [PROBLEM])
    (problem,) = elements_of(dbsession, made.lessons[0])
    submit(api, school, made, problem)
    (item,) = queued(api, school.E)
    assert item["answer"] == "Multiply by 2/2."
    assert item["student"]["id"] == school.S.id
    assert item["element"] == {
        "id": problem.id,
        "title": problem.title,
        "statement": "Prove that 2/4 = 1/2.",
        "max_score": 10,
    }
    assert (item["graph_id"], item["node_id"]) == (made.graph.id, made.nodes[0].id)
    body = api.post(
        f"answers/{item['id']}/grade/", school.E, {"score": 7, "feedback": "Good"}, status=200
    ).json
    assert body["answer"]["status"] == "graded"
    assert (body["answer"]["score"], body["answer"]["feedback"]) == (7, "Good")
    assert (body["lesson"]["state"], body["lesson"]["score"]) == ("completed", 7)
    assert body["unlocked_node_ids"] == [made.nodes[1].id]
    progress = dbsession.scalars(select(ElementProgress)).one()
    assert (progress.state, progress.score) == ("completed", 7)
    states = dict(dbsession.execute(select(LessonProgress.node_id, LessonProgress.state)).all())
    assert states == {made.nodes[0].id: "completed", made.nodes[1].id: "unlocked"}
    notes = dbsession.scalars(
        select(Notification).where(Notification.user_id == school.S.id).order_by(Notification.id)
    ).all()
    assert sorted(n.kind for n in notes) == [
        "knowledge.answer_graded",
        "knowledge.lesson_unlocked",
    ]
    graded = next(n for n in notes if n.kind == "knowledge.answer_graded")
    assert "7/10" in graded.title
    assert graded.data["answer_id"] == item["id"]
    unlocked = next(n for n in notes if n.kind == "knowledge.lesson_unlocked")
    assert unlocked.data["node_id"] == made.nodes[1].id
    assert "Quarters" in unlocked.title
    assert queued(api, school.E) == []
    # The student sees the grade and the feedback in the lesson.
    lesson = api.get(f"graphs/{made.graph.id}/nodes/{made.nodes[0].id}/", school.S).json
    last = lesson["elements"][0]["progress"]["last_answer"]
    assert (last["status"], last["score"], last["feedback"]) == ("graded", 7, "Good")


def test_a_grade_of_zero_still_completes_the_element(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [PROBLEM, THEORY])
    problem, _theory = elements_of(dbsession, made.lessons[0])
    submit(api, school, made, problem)
    answer = dbsession.scalars(select(Answer)).one()
    body = api.post(f"answers/{answer.id}/grade/", school.T, {"score": 0}, status=200).json
    assert body["answer"]["feedback"] == ""
    assert body["lesson"]["state"] == "in_progress"  # the theory is still to do
    assert body["lesson"]["required_done"] == 1
    assert body["unlocked_node_ids"] == []


def test_grading_twice_or_above_the_maximum_is_refused(
    school, make_graph, make_lesson, api, dbsession
):
    made = path(make_graph, make_lesson, school, [PROBLEM])
    (problem,) = elements_of(dbsession, made.lessons[0])
    submit(api, school, made, problem)
    answer = dbsession.scalars(select(Answer)).one()
    url = f"answers/{answer.id}/grade/"
    too_high = api.post(url, school.E, {"score": 11}, status=400).json
    assert too_high["errors"][0]["name"] == "score"
    for bad in ({}, {"score": -1}, {"score": 1.5}, {"score": 5, "grade": 1}):
        api.post(url, school.E, bad, status=400)
    api.post(url, school.E, {"score": 10}, status=200)
    again = api.post(url, school.A, {"score": 3}, status=409).json
    assert again["type"].endswith("already-graded")
    dbsession.refresh(answer)
    assert (answer.score, answer.grader_id) == (10, school.E.id)


def test_the_queue_shows_each_grader_their_students_answers(
    school, make_graph, make_lesson, api, dbsession
):
    mine = path(make_graph, make_lesson, school, [PROBLEM])
    (problem,) = elements_of(dbsession, mine.lessons[0])
    submit(api, school, mine, problem)
    other_lesson = make_lesson(school.x, school.E2, elements=[PROBLEM])
    theirs = make_graph(school, student=school.S2, lessons=[other_lesson])
    (other_problem,) = elements_of(dbsession, other_lesson)
    url = element_url(theirs.graph, theirs.nodes[0], other_problem.id, "answer")
    api.post(url, school.S2, {"answer": "Mine"}, status=200)
    seen = {
        name: sorted(i["student"]["id"] for i in queued(api, user))
        for name, user in school.people.items()
        if name not in ("S", "S2", "P", "P2")
    }
    assert seen == {
        "E": [school.S.id],
        "E2": [school.S2.id],
        "T": [school.S.id],
        "T2": [school.S2.id],
        "A": sorted([school.S.id, school.S2.id]),
    }
    for name in ("S", "S2", "P", "P2"):
        api.get(QUEUE, school.people[name], status=403)
    assert [i["student"]["id"] for i in queued(api, school.A, student=school.S2.id)] == [
        school.S2.id
    ]
    assert queued(api, school.A, subject=school.x.id + 1000) == []
    api.get(QUEUE, school.A, status=400, unknown="1")


@pytest.mark.parametrize(
    "who, status",
    [
        ("E", 200),
        ("E2", 404),
        ("T", 200),
        ("T2", 404),
        ("S", 403),
        ("S2", 404),
        ("P", 403),
        ("P2", 404),
        ("A", 200),
    ],
)
def test_who_may_grade(who, status, school, make_graph, make_lesson, api, dbsession):
    made = path(make_graph, make_lesson, school, [PROBLEM])
    (problem,) = elements_of(dbsession, made.lessons[0])
    submit(api, school, made, problem)
    answer = dbsession.scalars(select(Answer)).one()
    api.post(f"answers/{answer.id}/grade/", school.people[who], {"score": 1}, status=status)
    dbsession.refresh(answer)
    assert answer.status == ("graded" if status == 200 else "pending")


def test_the_queue_runs_the_same_queries_for_1_and_30_answers(
    school, make_graph, make_lesson, api, dbsession, queries_for_1_and_30
):
    made = path(make_graph, make_lesson, school, [PROBLEM])
    node = made.nodes[0]

    def add(n: int) -> None:
        for _ in range(n):
            element = ElementFactory(
                subject_id=school.x.id, type="text_problem", content={"statement": "Why?"}
            )
            progress = ElementProgressFactory(
                node_id=node.id, element_id=element.id, state="pending_review", attempts=1
            )
            AnswerFactory(progress_id=progress.id)
        dbsession.flush()

    queued(api, school.E)  # the token and the first request's caches
    small, large = queries_for_1_and_30(add, lambda: queued(api, school.E))
    assert {i["student"]["id"] for i in large} == {school.S.id}
