"""How a request's database transaction ends: a read-only request commits (so PostgreSQL
keeps the connection's prepared statements), a failed one rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import transaction
from sqlalchemy import event, select, text

from thebot.accounts.models import User
from thebot.db import get_engine, get_session_factory, get_tm_session
from thebot.settings import load_settings


@pytest.fixture
def endings(engine: Any) -> Iterator[list[str]]:
    """The ``commit`` / ``rollback`` of the test engine's connections during the test."""
    seen: list[str] = []
    listeners = {
        name: (lambda conn, name=name: seen.append(name)) for name in ("commit", "rollback")
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        event.remove(engine, name, listener)


def test_a_read_only_request_ends_with_commit(engine: Any, endings: list[str]) -> None:
    factory, manager = get_session_factory(engine), transaction.TransactionManager(explicit=True)
    with manager:
        get_tm_session(factory, manager).execute(select(User.id).limit(1)).all()
    assert endings == ["commit"]


def test_a_failed_request_is_rolled_back(engine: Any, endings: list[str]) -> None:
    factory, manager = get_session_factory(engine), transaction.TransactionManager(explicit=True)
    with pytest.raises(RuntimeError), manager:
        get_tm_session(factory, manager).execute(select(User.id).limit(1)).all()
        raise RuntimeError("the view failed")
    assert endings == ["rollback"]


def prepared_after_requests(settings: dict[str, Any], requests: int) -> int:
    """Run one statement in ``requests`` request transactions on a one-connection engine;
    how many statements that connection has prepared on the server afterwards."""
    engine = get_engine(settings)
    try:
        factory = get_session_factory(engine)
        manager = transaction.TransactionManager(explicit=True)
        statement = select(User.id).where(User.id == 0)
        for _ in range(requests):
            with manager:
                get_tm_session(factory, manager).execute(statement).all()
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    finally:
        engine.dispose()


@pytest.mark.parametrize(("threshold", "prepared"), [("5", True), ("0", False)])
def test_postgresql_keeps_prepared_statements_across_requests(
    base_settings: dict[str, Any], engine: Any, threshold: str, prepared: bool
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements")
    settings = load_settings(
        {**base_settings, "db_prepare_threshold": threshold, "db_pool_size": "1"}, environ={}
    )
    assert (prepared_after_requests(settings, 8) > 0) is prepared
