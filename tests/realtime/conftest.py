"""Fixtures of the real-time tests: apps over a database of their own (the gateway's threads
commit for real), users with tokens, a gateway on a free port, a ``websockets`` client."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

INCLUDES = "support_views realtime_support"


@pytest.fixture(scope="session")
def rt_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for the real-time tests (a SQLite file, or a PostgreSQL database made
    next to ``THEBOT_TEST_DATABASE_URL``), migrated, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from testenv import TEST_DATABASE_URL
    from thebot.db import get_engine
    from thebot.db.migrate import upgrade
    from thebot.settings import load_settings

    admin = None
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        url = make_url(TEST_DATABASE_URL)
        name = f"{url.database}_realtime_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = url.set(database=name).render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('realtime')}/realtime.sqlite"
    settings = load_settings({"database_url": database_url}, environ={})
    engine = get_engine(settings)
    with engine.begin() as conn:
        upgrade(settings, connection=conn)
    engine.dispose()
    try:
        yield database_url
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="session")
def rt_app(make_app: Any, rt_database_url: str) -> Any:
    """An app on the real-time tests' own database; the test support included."""
    app = make_app(own_engine=True, database_url=rt_database_url, includes=INCLUDES)
    yield app
    app.registry["dbengine"].dispose()


@pytest.fixture
def clean_redis(rt_app: Any) -> None:
    hub = rt_app.registry["realtime_hub"]
    if hub.kind == "redis":
        for key in hub.client.scan_iter(hub.prefix + "*"):
            hub.client.delete(key)


@pytest.fixture
def new_user(rt_app: Any) -> Callable[..., Any]:
    """A committed user of ``role`` and a fresh API token: ``(user, headers)``."""
    from thebot.accounts.credentials.tokens import issue_token
    from thebot.accounts.models import User

    def make(role: str = "student") -> tuple[Any, dict[str, str]]:
        session = rt_app.registry["dbsession_factory"]()
        try:
            n = time.monotonic_ns()
            user = User(
                username=f"rt{n}",
                email=f"rt{n}@example.com",
                first_name="R",
                last_name="T",
                role=role,
                is_active=True,
                password_hash="!",
            )
            session.add(user)
            session.flush()
            key, _ = issue_token(session, user, dt.timedelta(days=1))
            session.commit()
            session.refresh(user)
            session.expunge(user)
            return user, {"Authorization": f"Token {key}"}
        finally:
            session.close()

    return make


@pytest.fixture
def api(rt_app: Any) -> Any:
    import webtest

    return webtest.TestApp(rt_app, extra_environ={"HTTP_HOST": "testserver"})


@pytest.fixture
def gateway(rt_app: Any, clean_redis: None) -> Iterator[Any]:
    from thebot.realtime.gateway.runner import GatewayThread

    thread = GatewayThread(rt_app.registry, "127.0.0.1:0").start()
    yield thread
    thread.stop()
