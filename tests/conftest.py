"""Test fixtures: a migrated database, per-test rollback, the app through WebTest.

``THEBOT_TEST_DATABASE_URL`` selects the database (default: a SQLite file in a temp dir); on
PostgreSQL it names the server, where the run creates its own scratch database and drops only
that one (``testenv``). ``THEBOT_TEST_REDIS_URL`` turns on real Redis for cache, readiness
and rate limits, under the run's own key prefix; only keys of that prefix are deleted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import webtest
from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker

from testenv import (
    METRICS_TOKEN,
    PG,
    TEST_DATABASE_NAME,
    TEST_DATABASE_URL,
    TEST_HOST,
    TEST_REDIS_PREFIX,
    TEST_REDIS_URL,
    TEST_SERVER_URL,
)
from thebot import main
from thebot.db import get_engine
from thebot.db.migrate import upgrade
from thebot.settings import SETTINGS, load_settings

# The developer's or CI's environment must not leak into the app under test.
for _spec in SETTINGS:
    if _spec.env:
        os.environ.pop(_spec.env, None)


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="thebot-tests-") as root:
        yield root


@pytest.fixture(scope="session")
def base_settings(tmp_root: str) -> dict[str, Any]:
    return {
        "debug": "true",
        "secret_key": "x" * 64,
        "allowed_hosts": f"{TEST_HOST} localhost",
        "cors_allowed_origins": "https://app.example.com",
        "database_url": TEST_DATABASE_URL or f"sqlite:///{tmp_root}/test.sqlite",
        "redis_url": TEST_REDIS_URL or "",
        "redis_key_prefix": TEST_REDIS_PREFIX,
        "task_broker": "stub",
        "media_root": os.path.join(tmp_root, "media"),
        "mail_dir": os.path.join(tmp_root, "mail"),
        "metrics_token": METRICS_TOKEN,
        "readiness_timeout": "1.5",
        "includes": "support_views",
    }


def pytest_report_header() -> str:
    where = f"PostgreSQL database {TEST_DATABASE_NAME}" if PG else "SQLite"
    redis = f", Redis keys {TEST_REDIS_PREFIX}*" if TEST_REDIS_URL else ""
    return f"thebot: {where}{redis} (made and removed by this run)"


def _server_admin_engine() -> Any:
    """AUTOCOMMIT engine on the PostgreSQL server of ``THEBOT_TEST_DATABASE_URL``: through
    the database the URL names, or ``postgres`` when that one does not exist."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    url = make_url(TEST_SERVER_URL or "")
    for database in dict.fromkeys([url.database, "postgres"]):
        admin = create_engine(url.set(database=database), isolation_level="AUTOCOMMIT")
        try:
            admin.connect().close()
            return admin
        except OperationalError:
            admin.dispose()
            if database == "postgres":
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session", autouse=True)
def test_database() -> Iterator[str | None]:
    """PostgreSQL: CREATE the run's scratch database (``testenv.TEST_DATABASE_NAME``) before
    any test, DROP it (and only it) after the last one. Other fixtures make their own
    databases next to it, named after it (``thebot_test_<id>_...``), and drop them."""
    if not PG:
        yield TEST_DATABASE_URL
        return
    admin = _server_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{TEST_DATABASE_NAME}"'))
    try:
        yield TEST_DATABASE_URL
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{TEST_DATABASE_NAME}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(base_settings: dict[str, Any], test_database: str | None) -> Iterator[Any]:
    settings = load_settings(base_settings, environ={})
    engine = get_engine(settings)
    with engine.begin() as conn:
        upgrade(settings, connection=conn)
    yield engine
    engine.dispose()


def delete_test_keys(client: Any) -> int:
    """Delete the run's Redis keys (``TEST_REDIS_PREFIX``, and dogpile's ``_lock`` + key),
    SCAN + DEL: nothing else in the database is touched."""
    doomed = 0
    for pattern in (f"{TEST_REDIS_PREFIX}*", f"_lock{TEST_REDIS_PREFIX}*"):
        batch = list(client.scan_iter(match=pattern, count=500))
        for start in range(0, len(batch), 500):
            doomed += client.delete(*batch[start : start + 500])
    return doomed


@pytest.fixture(scope="session", autouse=True)
def redis_client() -> Iterator[Any]:
    """The test Redis (``None`` without ``THEBOT_TEST_REDIS_URL``); the run's keys are
    deleted after the last test."""
    if not TEST_REDIS_URL:
        yield None
        return
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        yield client
    finally:
        delete_test_keys(client)
        client.close()


@pytest.fixture(scope="session")
def make_app(base_settings: dict[str, Any], engine: Any, redis_client: Any) -> Callable[..., Any]:
    """Build an app over the shared test engine with some settings changed."""

    def build(own_engine: bool = False, **overrides: Any) -> Any:
        """``own_engine=True``: the app builds its engine from the settings (broken URLs)."""
        settings = {**base_settings, **{k: str(v) for k, v in overrides.items()}}
        if not own_engine:
            settings["thebot.engine"] = engine
        return main({}, **settings)

    return build


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Limiter counts live as long as the session app; start every test from zero."""
    if "app" in request.fixturenames:
        from thebot.accounts.auth.ratelimit import reset_limits

        reset_limits(request.getfixturevalue("app").registry)


@pytest.fixture
def connection(engine: Any) -> Iterator[Any]:
    """One outer transaction per test; everything the app commits is a savepoint in it."""
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def bind_app(connection: Any) -> Callable[[Any], Any]:
    """Point an app's sessions at the per-test connection (restored afterwards)."""
    bound: list[tuple[Any, Any]] = []

    def bind(app_: Any) -> Any:
        registry = app_.registry
        bound.append((registry, registry["dbsession_factory"]))
        registry["dbsession_factory"] = sessionmaker(
            bind=connection,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
            info={"registry": registry},  # configured relations (accounts visibility)
        )
        return app_

    yield bind
    for registry, factory in reversed(bound):
        registry["dbsession_factory"] = factory


@pytest.fixture
def dbsession(app: Any, bind_app: Callable[[Any], Any]) -> Any:
    """A session on the test's connection, for arranging and asserting data."""
    from factories import factories_bound_to

    bind_app(app)
    session = app.registry["dbsession_factory"]()
    with factories_bound_to(session):
        yield session
    session.close()


@pytest.fixture(scope="module")
def scratch_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of the module's own, empty (a SQLite file, or a PostgreSQL database
    ``thebot_test_<id>_<module>_<random>`` on the test server, dropped afterwards), for tests
    whose app must commit for real (concurrency), so not on the per-test connection."""
    import uuid

    from sqlalchemy.engine import make_url

    tag = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")
    if not PG:
        folder = tmp_path_factory.mktemp(tag)
        yield f"sqlite:///{folder}/{tag}.sqlite"
        return
    url = make_url(TEST_DATABASE_URL or "")
    name = f"{url.database}_{tag[:30]}_{uuid.uuid4().hex[:8]}"
    admin = _server_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def client(bind_app: Callable[[Any], Any]) -> Callable[..., webtest.TestApp]:
    """WebTest client for any app, bound to the test's transaction."""

    def make(app_: Any, **environ: Any) -> webtest.TestApp:
        bind_app(app_)
        extra = {"HTTP_HOST": TEST_HOST, "REMOTE_ADDR": "192.0.2.10", **environ}
        return webtest.TestApp(app_, extra_environ=extra)

    return make


@pytest.fixture
def testapp(app: Any, dbsession: Any, client: Callable[..., webtest.TestApp]) -> webtest.TestApp:
    return client(app)


@pytest.fixture
def monitor_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def broker(app: Any) -> Any:
    broker = app.registry["task_broker"]
    broker.flush_all()
    yield broker
    broker.flush_all()


@pytest.fixture
def worker(broker: Any) -> Iterator[Any]:
    import dramatiq

    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()
    # Dramatiq leaves a stopped Worker attached to the broker: on a queue declared later it
    # would start a consumer that takes messages into a work queue nobody reads.
    attached = broker.middleware
    attached[:] = [m for m in attached if getattr(m, "worker", None) is not worker]


@pytest.fixture
def make_user(dbsession: Any) -> Callable[..., Any]:
    """Create a user of ``role`` with its role profile: ``make_user("tutor", username=...)``."""
    from factories import (
        StudentProfileFactory,
        TeacherProfileFactory,
        TutorProfileFactory,
        UserFactory,
    )

    profiles = {
        "student": StudentProfileFactory,
        "teacher": TeacherProfileFactory,
        "tutor": TutorProfileFactory,
    }

    def make(role: str = "student", **kwargs: Any) -> Any:
        profile_kwargs = kwargs.pop("profile", {})
        user = UserFactory(role=role, **kwargs)
        if role in profiles:
            profiles[role](user=user, **profile_kwargs)
        dbsession.flush()
        return user

    return make


@pytest.fixture
def auth_headers(dbsession: Any) -> Callable[[Any], dict[str, str]]:
    """``Authorization`` headers carrying a fresh API token for ``user``."""
    import datetime as dt

    from thebot.accounts.credentials.tokens import issue_token

    def headers(user: Any) -> dict[str, str]:
        key, _token = issue_token(dbsession, user, dt.timedelta(days=1))
        dbsession.flush()
        return {"Authorization": f"Token {key}"}

    return headers


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(engine: Any) -> Iterator[Callable[[], QueryCounter]]:
    """``with count_queries() as q: ...`` then assert on ``q.count``."""
    import contextlib

    listeners: list[QueryCounter] = []

    @contextlib.contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        listeners.append(counter)
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    yield counting


@pytest.fixture
def queries_for_1_and_30(
    count_queries: Callable[[], Any],
) -> Callable[[Callable[[int], Any], Callable[[], list[Any]]], tuple[list[Any], list[Any]]]:
    """``small, large = check(add, fetch)``: listing 30 rows costs the queries 1 row does.

    ``add(n)`` creates ``n`` more rows and ``fetch()`` returns the listed items; ``check``
    does ``add(1)``, counts ``fetch()``, ``add(29)``, counts again, and returns both lists.
    """
    import difflib

    def check(
        add: Callable[[int], Any], fetch: Callable[[], list[Any]]
    ) -> tuple[list[Any], list[Any]]:
        add(1)
        with count_queries() as few:
            small = fetch()
        add(29)
        with count_queries() as many:
            large = fetch()
        assert (len(small), len(large)) == (1, 30)
        diff = difflib.unified_diff(
            few.statements, many.statements, "1 row", "30 rows", n=0, lineterm=""
        )
        assert few.count == many.count, (
            f"{few.count} queries for 1 row, {many.count} for 30:\n" + "\n".join(diff)
        )
        return small, large

    return check


@pytest.fixture
def add_teaching_relation(app: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Add a teaching relation to the app for one test, as a feature does in its includeme
    (``config.add_teaching_relation``); the app's relations are restored afterwards."""
    from pyramid.config import Configurator

    from thebot.accounts.visibility import RELATIONS_KEY

    monkeypatch.setitem(app.registry, RELATIONS_KEY, dict(app.registry[RELATIONS_KEY]))

    def add(name: str, provider: Callable[[], Any]) -> None:
        config = Configurator(registry=app.registry)
        config.add_teaching_relation(name, provider)
        config.commit()

    return add
