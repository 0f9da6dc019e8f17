"""Concurrent student actions (real commits, threads; the app has its own engine on a
scratch database: PostgreSQL with ``THEBOT_TEST_DATABASE_URL``, else a SQLite file).

Both requests meet at a barrier just before the point they race for, so on PostgreSQL both
have read the same state before either writes (on SQLite writers run one at a time: the
barrier times out and the second request simply waits, no matter).

- Two answers to a question with one attempt left: one is graded, the other is a 409, one
  attempt is spent. Twice: through the graph lock, and with the lock taken away, so the
  conditional ``UPDATE ... WHERE attempts < max`` is shown to hold on its own.
- Two lessons completed at once that a third requires: the third unlocks (each completion
  sees the other's under the graph lock), once.
- Two teachers grading one text answer at once: one grade stands, the other is a 409.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
import webtest
from learning_support import seed_committed as seed
from sqlalchemy import func, select

from thebot.knowledge.learning import progress, service
from thebot.knowledge.models import Answer, ElementProgress, KnowledgeGraph, LessonProgress
from thebot.notifications.models import Notification


@pytest.fixture(scope="module")
def own_app(make_app: Any, scratch_database_url: str) -> Any:
    app = make_app(
        own_engine=True,
        database_url=scratch_database_url,
        auto_migrate="true",
        rate_limit_enabled="false",
    )
    yield app
    app.registry["dbengine"].dispose()


def at_once(app: Any, calls: list[tuple[str, Any, dict[str, str]]]) -> list[Any]:
    start = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def send(index: int, url: str, body: Any, headers: dict[str, str]) -> None:
        client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "testserver"})
        start.wait(timeout=10)
        answers[index] = client.post_json(url, body, headers=headers, expect_errors=True)

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def meet_before(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Both requests wait for each other before calling ``module.name``."""
    gate = threading.Barrier(2)
    real = getattr(module, name)

    def wait_then_call(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=2.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wait_then_call)


def answer_url(world: dict[str, Any], index: int) -> str:
    return (
        f"/api/knowledge/graphs/{world['graph']}/nodes/{world['nodes'][index]}/"
        f"elements/{world['elements'][index]}/answer/"
    )


def spent(app: Any, world: dict[str, Any]) -> tuple[int, int]:
    with app.registry["dbsession_factory"]() as session:
        attempts = session.scalar(
            select(ElementProgress.attempts).where(
                ElementProgress.node_id == world["nodes"][0],
                ElementProgress.element_id == world["elements"][0],
            )
        )
        answers = session.scalar(
            select(func.count())
            .select_from(Answer)
            .where(Answer.element_id == world["elements"][0])
        )
        return attempts, answers


@pytest.mark.parametrize("without_lock", [False, True], ids=["graph-lock", "update-only"])
def test_two_answers_at_once_spend_one_attempt(own_app, monkeypatch, without_lock):
    world = seed(own_app, 1, [])
    if without_lock:  # the conditional UPDATE alone must hold
        monkeypatch.setattr(
            progress, "lock_graph", lambda s, graph_id: s.get(KnowledgeGraph, graph_id)
        )
        meet_before(monkeypatch, service, "take_attempt")
    else:
        meet_before(monkeypatch, progress, "lock_graph")
    url = answer_url(world, 0)
    results = at_once(
        own_app,
        [(url, {"answer": [0]}, world["headers"]), (url, {"answer": [1]}, world["headers"])],
    )
    assert sorted(r.status_int for r in results) == [200, 409], [r.text for r in results]
    refused = next(r for r in results if r.status_int == 409).json
    assert refused["type"].rsplit("/", 1)[1] in ("no-attempts-left", "element-done")
    assert spent(own_app, world) == (1, 1)


def test_two_prerequisites_completed_at_once_unlock_what_needs_both(own_app, monkeypatch):
    world = seed(own_app, 3, [(0, 2), (1, 2)])
    meet_before(monkeypatch, progress, "lock_graph")
    results = at_once(
        own_app,
        [
            (answer_url(world, 0), {"answer": [0]}, world["headers"]),
            (answer_url(world, 1), {"answer": [0]}, world["headers"]),
        ],
    )
    assert [r.status_int for r in results] == [200, 200], [r.text for r in results]
    unlocked = [r.json["unlocked_node_ids"] for r in results]
    assert sorted(unlocked) == [[], [world["nodes"][2]]]
    with own_app.registry["dbsession_factory"]() as session:
        state = session.scalar(
            select(LessonProgress.state).where(LessonProgress.node_id == world["nodes"][2])
        )
        assert state == "unlocked"
        told = session.scalars(
            select(Notification).where(Notification.kind == "knowledge.lesson_unlocked")
        ).all()
        assert [n.data["node_id"] for n in told if n.data["graph_id"] == world["graph"]] == [
            world["nodes"][2]
        ]


def test_two_grades_at_once_one_stands(own_app, monkeypatch):
    world = seed(own_app, 1, [], kind="text_problem", content={"statement": "Why?"})
    api = webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})
    api.post_json(answer_url(world, 0), {"answer": "Because."}, headers=world["headers"])
    with own_app.registry["dbsession_factory"]() as session:
        answer_id = session.scalar(
            select(Answer.id).where(Answer.element_id == world["elements"][0])
        )
    meet_before(monkeypatch, progress, "lock_graph")
    url = f"/api/knowledge/answers/{answer_id}/grade/"
    first, second = world["admin_headers"]
    results = at_once(own_app, [(url, {"score": 1}, first), (url, {"score": 0}, second)])
    assert sorted(r.status_int for r in results) == [200, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_int == 200).json
    with own_app.registry["dbsession_factory"]() as session:
        stored = session.get(Answer, answer_id)
        assert (stored.status, stored.score) == ("graded", winner["answer"]["score"])
