"""The one after-commit path for side effects (``thebot.events``): recorded events reach
in-transaction subscribers at once and ``registry.notify`` subscribers after a successful
commit, once, in order; an abort dispatches nothing; a failing subscriber is logged and
skipped. And no views module calls a side effect itself."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import transaction
import zope.sqlalchemy
from pyramid.config import Configurator
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

import thebot
import thebot.assignments.events
import thebot.materials.events
import thebot.scheduling.events
from thebot.db import get_engine
from thebot.events import EVENTS_KEY, Committing, DomainEvent, record


@dataclass(frozen=True)
class Happened(DomainEvent):
    name = "test.happened"
    n: int = 0

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.n,)


@dataclass(frozen=True)
class Other(DomainEvent):
    name = "test.other"


@pytest.fixture
def world() -> Any:
    """A registry with the ``event=`` predicate, subscribers that log what they see, and
    sessions joined to an explicit transaction manager (as a request's are)."""
    engine = get_engine({"sqlalchemy.url": make_url("sqlite://")})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE row (x INTEGER)"))
    config = Configurator()
    seen: list[tuple[str, Any]] = []

    def in_transaction(committing: Committing, event: Happened) -> None:
        seen.append(("committing", event))
        committing.dbsession.execute(text("INSERT INTO row VALUES (:x)"), {"x": 1})
        zope.sqlalchemy.mark_changed(committing.dbsession)  # raw SQL: tell the manager

    def after_commit(event: Happened) -> None:
        seen.append(("committed", event))

    config.add_subscriber(in_transaction, [Committing, Happened])
    config.add_subscriber(after_commit, Happened)
    config.commit()
    tm = transaction.TransactionManager(explicit=True)
    request = SimpleNamespace(registry=config.registry, tm=tm)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def session() -> Any:
        dbsession = factory(info={"request": request})
        zope.sqlalchemy.register(dbsession, transaction_manager=tm)
        return dbsession

    def rows() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM row")).scalar_one()

    yield SimpleNamespace(
        config=config,
        registry=config.registry,
        tm=tm,
        session=session,
        seen=seen,
        rows=rows,
        engine=engine,
        factory=factory,
    )
    engine.dispose()


def test_commit_dispatches_once_in_order(world: Any) -> None:
    dbsession = world.session()
    first, second = Happened(1), Happened(2)
    with world.tm:
        record(dbsession, first)
        record(dbsession, Other())  # no subscriber: nothing happens
        record(dbsession, second)
        # In-transaction subscribers ran at once; the after-commit ones wait.
        assert world.seen == [("committing", first), ("committing", second)]
    assert world.seen[2:] == [("committed", first), ("committed", second)]
    assert world.rows() == 2  # the in-transaction writes committed with the change
    assert EVENTS_KEY not in dbsession.info
    with world.tm:  # the next transaction starts empty: nothing is dispatched twice
        record(dbsession, Happened(3))
    assert [e.n for kind, e in world.seen if kind == "committed"] == [1, 2, 3]


def test_only_the_events_own_subscribers_run_each_in_a_savepoint(world: Any) -> None:
    from sqlalchemy import event as sa_event

    statements: list[str] = []
    sa_event.listen(
        world.engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql)
    )
    dbsession = world.session()
    with world.tm:
        record(dbsession, Other())  # nobody handles it in the transaction: no savepoint
        assert not [s for s in statements if s.startswith("SAVEPOINT")]
        record(dbsession, Happened(1))
        assert len([s for s in statements if s.startswith("SAVEPOINT")]) == 1


def test_a_subscriber_marked_without_savepoint_runs_in_the_transaction_itself(
    world: Any,
) -> None:
    from sqlalchemy import event as sa_event

    from thebot.events import without_savepoint

    @dataclass(frozen=True)
    class Added(DomainEvent):
        name = "test.added"

    @without_savepoint
    def adds(committing: Committing, event: Added) -> None:
        committing.dbsession.execute(text("INSERT INTO row VALUES (7)"))
        zope.sqlalchemy.mark_changed(committing.dbsession)

    world.config.add_subscriber(adds, [Committing, Added])
    world.config.commit()
    statements: list[str] = []
    sa_event.listen(
        world.engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql)
    )
    dbsession = world.session()
    with world.tm:
        record(dbsession, Added())
    assert not [s for s in statements if s.startswith(("SAVEPOINT", "RELEASE"))]
    assert world.rows() == 1  # committed with the transaction


def test_abort_dispatches_nothing_and_forgets(world: Any) -> None:
    dbsession = world.session()
    with pytest.raises(RuntimeError), world.tm:
        record(dbsession, Happened(1))
        raise RuntimeError("the change fails")
    assert [kind for kind, _ in world.seen] == ["committing"]  # no "committed"
    assert world.rows() == 0  # the in-transaction write was rolled back with the change
    assert EVENTS_KEY not in dbsession.info
    with world.tm:
        record(dbsession, Happened(2))
    assert [e.n for kind, e in world.seen if kind == "committed"] == [2]


def test_a_failing_subscriber_is_logged_and_the_others_run(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_after(event: Happened) -> None:
        raise ValueError("after-commit subscriber broke")

    def broken_inside(committing: Committing, event: Happened) -> None:
        committing.dbsession.execute(text("INSERT INTO row VALUES (99)"))
        raise ValueError("in-transaction subscriber broke")

    later: list[Any] = []
    world.config.add_subscriber(broken_after, Happened)
    world.config.add_subscriber(broken_inside, [Committing, Happened])
    world.config.add_subscriber(later.append, Happened)
    world.config.commit()
    dbsession = world.session()
    with caplog.at_level(logging.ERROR, logger="thebot.events"), world.tm:
        record(dbsession, Happened(1))
    assert [kind for kind, _ in world.seen] == ["committing", "committed"]
    assert later == [Happened(1)]
    # The broken subscriber's write was undone (its savepoint); the good one's committed.
    with world.tm:
        assert dbsession.execute(text("SELECT x FROM row")).scalars().all() == [1]
    messages = [r.getMessage() for r in caplog.records if r.exc_info]
    assert len(messages) == 2 and all("failed on" in m for m in messages)


def test_a_plain_session_uses_its_own_commit(world: Any) -> None:
    with world.factory(info={"registry": world.registry}) as dbsession:
        with dbsession.begin():
            record(dbsession, Happened(1))
        dbsession.begin()
        record(dbsession, Happened(2))
        dbsession.rollback()
        with dbsession.begin():
            record(dbsession, Happened(3))
    assert [e.n for kind, e in world.seen if kind == "committed"] == [1, 3]


def test_a_session_without_registry_refuses_to_record(world: Any) -> None:
    with world.factory() as dbsession, pytest.raises(RuntimeError, match="registry"):
        record(dbsession, Happened(1))


def _concrete_events() -> list[type[DomainEvent]]:
    found, todo = [], list(DomainEvent.__subclasses__())
    while todo:
        kind = todo.pop()
        todo.extend(kind.__subclasses__())
        if kind.__module__.startswith("thebot.") and kind.name:
            found.append(kind)
    return found


def test_every_event_has_a_stable_name_json_payload_and_user_ids() -> None:
    kinds = _concrete_events()
    assert len(kinds) >= 15
    names = [kind.name for kind in kinds]
    assert len(set(names)) == len(names), "event names are unique"
    for kind in kinds:
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", kind.name), kind  # chat.message.created
        event = kind()
        assert json.loads(json.dumps(event.payload())) == event.payload()
        assert isinstance(event.user_ids, tuple)
    graded = thebot.assignments.events.SubmissionGraded(
        assignment_id=1, submission_id=2, student_id=3, final_score="40.00"
    )
    assert graded.payload() == {
        "assignment_id": 1,
        "submission_id": 2,
        "student_id": 3,
        "final_score": "40.00",
    }
    assert graded.user_ids == (3,)
    stale = thebot.materials.events.MaterialAssigned(users=(9,), student_ids=(4, 5))
    assert stale.user_ids == (4, 5, 9)
    assert json.dumps(stale.payload())


SIDE_EFFECT = re.compile(
    r"\b(notify|notify_lesson|notify_series|invalidate_dashboards_for|invalidate_dashboards"
    r"|invalidate_all_dashboards|refresh_student_stats|record)\("
)


def test_no_views_module_calls_a_side_effect_itself() -> None:
    """Notifications, dashboard invalidation and stats refresh are event subscribers, and
    the services that make a change record its event: never view code."""
    root = Path(thebot.__file__).parent
    views = [p for p in root.rglob("*.py") if p.name.endswith("views.py")]
    assert len(views) >= 20
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in views
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SIDE_EFFECT.search(line)
    ]
    assert offenders == []
