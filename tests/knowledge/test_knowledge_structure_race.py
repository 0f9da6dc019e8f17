"""Two editors add opposite dependencies to one student graph at once (real commits,
threads, the app on its own scratch database: PostgreSQL with ``THEBOT_TEST_DATABASE_URL``,
else a SQLite file). Each alone is fine; together they would close a cycle. Both requests
meet at a barrier just before taking the graph lock, so on PostgreSQL both have read the
graph before either writes: the lock makes the second see the first's edge and refuse.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
import webtest
from learning_support import seed_committed as seed
from sqlalchemy import func, select

from thebot.knowledge.models import Dependency
from thebot.knowledge.structure import service as structure


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


def test_opposite_dependencies_added_at_once_never_close_a_cycle(
    own_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = seed(own_app, lessons=2, requires=[])
    a, b = world["nodes"]
    gate = threading.Barrier(2)
    real_lock = structure.lock

    def meet_then_lock(*args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=2.0)
        real_lock(*args, **kwargs)

    monkeypatch.setattr(structure, "lock", meet_then_lock)
    url = f"/api/knowledge/graphs/{world['graph']}/dependencies/"
    bodies = [{"from_node_id": a, "to_node_id": b}, {"from_node_id": b, "to_node_id": a}]
    answers: list[Any] = [None, None]

    def send(index: int) -> None:
        client = webtest.TestApp(own_app, extra_environ={"HTTP_HOST": "testserver"})
        answers[index] = client.post_json(
            url, bodies[index], headers=world["admin_headers"][index], expect_errors=True
        )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answer.status_int for answer in answers) == [201, 409]
    refused = next(answer for answer in answers if answer.status_int == 409)
    assert len(refused.json["cycle"]) == 3
    with own_app.registry["dbsession_factory"]() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Dependency)
            .where(Dependency.graph_id == world["graph"])
        )
    assert count == 1
