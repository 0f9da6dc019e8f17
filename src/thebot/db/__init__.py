"""Database: declarative base with a naming convention, engine, ``request.dbsession``."""

from __future__ import annotations

import datetime as dt
import enum
import json
import threading
from typing import Any, cast

import orjson
from sqlalchemy import (
    DateTime,
    ForeignKey,
    MetaData,
    Table,
    TypeDecorator,
    engine_from_config,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from transaction._transaction import Status
from zope.sqlalchemy.datamanager import (
    STATUS_CHANGED,
    ZopeTransactionEvents,
    join_transaction,
    mark_changed,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core statements that skip the ORM's per-row work (bulk
    inserts); ``__table__`` is typed as any ``FromClause``."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        return dt.datetime

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def enum_values(kind: type[enum.Enum]) -> str:
    """``('a', 'b')``: the SQL list of an enum's values, for ``CHECK (col IN ...)``."""
    return repr(tuple(member.value for member in kind))


def user_fk(ondelete: str = "CASCADE") -> ForeignKey:
    """A foreign key to ``user_account.id``."""
    return ForeignKey("user_account.id", ondelete=ondelete)


def json_loads(text: str) -> Any:
    """JSON columns are read with orjson; ``NaN``/``Infinity`` (which ``json.dumps`` writes
    and orjson refuses) fall back to the standard library."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


SQLITE_MMAP_BYTES = 1 << 30  # address space, not memory: pages are loaded as they are read


def _sqlite_pragmas(engine: Engine, wal: bool) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            # Reads through a memory map of the file (shared by every connection through the
            # OS page cache) instead of read() calls into each connection's small page cache.
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITER = "thebot.writer"  # environ flag: this request (e.g. a task) will write


def get_engine(settings: dict[str, Any]) -> Engine:
    """Build the engine from coerced settings (``sqlalchemy.url`` is a URL object)."""
    url = settings["sqlalchemy.url"]
    if url.get_backend_name() == "sqlite":  # a file never drops the connection: no pre-ping
        memory = url.database in (None, "", ":memory:")
        engine = engine_from_config(
            {"sqlalchemy.url": url}, prefix="sqlalchemy.", json_deserializer=json_loads
        )
        _sqlite_pragmas(engine, wal=not memory)
        return engine
    options: dict[str, Any] = dict(
        json_deserializer=json_loads,
        pool_pre_ping=True,
        pool_size=settings["db_pool_size"],
        max_overflow=settings["db_max_overflow"],
        pool_recycle=settings["db_pool_recycle"],
        pool_timeout=settings["db_pool_timeout"],
        connect_args={
            "connect_timeout": settings["db_connect_timeout"],
            # psycopg's own cache of prepared statements (None: never prepare)
            "prepare_threshold": settings["db_prepare_threshold"] or None,
        },
    )
    return engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", **options)


def get_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


COMMITTING = Status.COMMITTING
TM_KEY = "thebot.transaction_manager"  # session.info: the manager a request session joins


class RequestTransactionEvents(ZopeTransactionEvents):
    """zope.sqlalchemy's listeners, registered once per session factory instead of once per
    session (seven ``event.listen`` calls cost about 0.1 ms per request, as much as a
    query): each session names its transaction manager in ``info[TM_KEY]``. Sessions of the
    same factory without one (scripts, tasks, the audit of a refused request) are left alone:
    they commit themselves.

    A request's session joins as *changed*, so pyramid_tm ends even a read-only request with
    COMMIT, not with zope.sqlalchemy's close (a ROLLBACK): psycopg forgets its prepared
    statements on every ROLLBACK (and deallocates them on the server), so with ROLLBACKs no
    statement ever reached ``prepare_threshold`` executions and PostgreSQL planned every
    statement of every request again. A COMMIT of a transaction that wrote nothing costs the
    same round trip as the ROLLBACK; a failed request is still rolled back."""

    def __init__(self) -> None:
        super().__init__(initial_state=STATUS_CHANGED, transaction_manager=None)

    def after_begin(self, session: Session, transaction: Any, connection: Any) -> None:
        if (tm := session.info.get(TM_KEY)) is not None:
            join_transaction(session, self.initial_state, tm, self.keep_session)

    def after_attach(self, session: Session, instance: Any) -> None:
        if (tm := session.info.get(TM_KEY)) is not None:
            join_transaction(session, self.initial_state, tm, self.keep_session)

    def after_flush(self, session: Session, flush_context: Any) -> None:
        if (tm := session.info.get(TM_KEY)) is not None:
            mark_changed(session, tm, self.keep_session)

    def after_bulk_update(self, update_context: Any) -> None:
        self.after_flush(update_context.session, None)

    def after_bulk_delete(self, delete_context: Any) -> None:
        self.after_flush(delete_context.session, None)

    def before_commit(self, session: Session) -> None:
        tm = session.info.get(TM_KEY)
        assert tm is None or session.in_nested_transaction() or tm.get().status == COMMITTING, (
            "Transaction must be committed using the transaction manager"
        )

    def do_orm_execute(self, execute_state: Any) -> None:
        dml = execute_state.is_update or execute_state.is_insert or execute_state.is_delete
        if execute_state.is_orm_statement and dml:
            self.after_flush(execute_state.session, None)


TM_EVENTS = (
    "after_begin",
    "after_attach",
    "after_flush",
    "after_bulk_update",
    "after_bulk_delete",
    "before_commit",
    "do_orm_execute",
)
_REGISTERED = "_thebot_tm_events"
_registering = threading.Lock()


def get_tm_session(
    session_factory: sessionmaker, transaction_manager: Any, request: Any = None
) -> Session:
    """A session joined to ``transaction_manager``: pyramid_tm commits or aborts it."""
    if not getattr(session_factory, _REGISTERED, False):
        with _registering:
            if not getattr(session_factory, _REGISTERED, False):
                events = RequestTransactionEvents()
                for name in TM_EVENTS:  # on the class of this factory only
                    event.listen(session_factory, name, getattr(events, name))
                setattr(session_factory, _REGISTERED, True)
    return session_factory(info={"request": request, TM_KEY: transaction_manager})


def includeme(config: Any) -> None:
    settings = config.get_settings()
    engine = settings.get("thebot.engine") or get_engine(settings)
    config.registry["dbengine"] = engine
    config.registry["dbsession_factory"] = get_session_factory(engine)
    sqlite = engine.dialect.name == "sqlite"

    def dbsession(request: Any) -> Session:
        # Looked up per request so tests can swap the factory for one bound to an outer
        # transaction (see tests/conftest.py).
        session = get_tm_session(request.registry["dbsession_factory"], request.tm, request)
        if sqlite and (request.method not in READ_ONLY_METHODS or request.environ.get(WRITER)):
            # A deferred SQLite transaction that read before another writer committed
            # cannot take the write lock later (SQLITE_BUSY_SNAPSHOT fails at once); taking
            # it first makes concurrent writers queue on busy_timeout instead.
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        return session

    config.add_request_method(dbsession, reify=True)
