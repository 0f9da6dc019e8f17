"""Outages of the database and Redis: 503 answers, short public reasons, quiet logs.

* A request that cannot reach the database is a ``503 service-unavailable`` problem with
  ``Retry-After``, wherever the error is raised: in a view, while authenticating (the rate
  limit tween asks for the identity outside the exception views), or at commit. The
  ``outage`` tween sits over ``pyramid_tm`` and renders anything that escaped the exception
  views with those same views, so no error leaves the app as waitress' ``text/plain`` 500.
* ``reason(exc)`` turns a driver error into ``"unreachable"``, ``"timeout"`` or ``"error"``:
  what public bodies may say. The driver's message (hosts, ports, users) goes to the log and
  to the admin-only health endpoint only.
* ``OUTAGES`` logs one error when a component (``database``, ``rate-limits``, ``broker``...)
  starts failing, counts the failures after it instead of logging each, and logs one summary
  when the component works again: an outage under load costs two log lines, not two per
  request.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyramid.response import Response
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

if TYPE_CHECKING:
    from thebot.api import Request

log = logging.getLogger(__name__)

DATABASE = "database"
RETRY_AFTER_SECONDS = 5


class OutageLog:
    """One error per outage per component, then one summary when it is back."""

    def __init__(
        self, logger: logging.Logger | None = None, clock: Callable[[], float] = time.monotonic
    ):
        self.log = logger or log
        self.clock = clock
        self._lock = threading.Lock()
        self._down: dict[str, tuple[float, int]] = {}  # component -> (since, suppressed)

    def failed(self, component: str, exc: BaseException | None = None, what: str = "") -> bool:
        """Record a failure; ``True`` when it started an outage (and was logged)."""
        with self._lock:
            state = self._down.get(component)
            if state is not None:
                self._down[component] = (state[0], state[1] + 1)
                return False
            self._down[component] = (self.clock(), 0)
        detail = f"{type(exc).__name__}: {first_line(exc)}" if exc is not None else "failed"
        self.log.error(
            "%s unavailable%s: %s (further failures are counted until it is back)",
            component,
            f" ({what})" if what else "",
            detail,
        )
        return True

    def recovered(self, component: str) -> None:
        if component not in self._down:  # the common case: no lock, one dict lookup
            return
        with self._lock:
            state = self._down.pop(component, None)
        if state is None:
            return
        since, suppressed = state
        self.log.warning(
            "%s back after %.1f s, %d failures suppressed",
            component,
            self.clock() - since,
            suppressed,
        )

    def is_down(self, component: str) -> bool:
        return component in self._down

    def reset(self) -> None:
        """Forget every outage (tests)."""
        with self._lock:
            self._down.clear()


OUTAGES = OutageLog()


def first_line(exc: BaseException | None) -> str:
    text = str(exc or "").strip()
    return text.splitlines()[0][:300] if text else ""


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


def reason(exc: BaseException) -> str:
    """``"timeout"``, ``"unreachable"`` or ``"error"``: safe to show anyone."""
    chain = _chain(exc)
    for item in chain:
        name = type(item).__name__.lower()
        if isinstance(item, (TimeoutError, socket.timeout, sa_exc.TimeoutError)):
            return "timeout"
        if "timeout" in name or "timeout expired" in first_line(item).lower():
            return "timeout"
    for item in chain:
        if isinstance(item, (ConnectionError, OSError, sa_exc.OperationalError)):
            return "unreachable"
        if isinstance(item, sa_exc.InterfaceError) or "connection" in type(item).__name__.lower():
            return "unreachable"
    return "error"


def is_database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or cannot serve now (connect, pool, lost connection).

    ``OperationalError`` is how every driver reports a failed connect, a dropped connection,
    a locked SQLite file or an unopenable path; pyramid_retry has already re-run the request
    for the transient ones (serialization failures) before this is asked.
    """
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def service_unavailable(request: Request, detail: str) -> Response:
    from thebot.errors import problem_response

    return problem_response(
        503, detail, request=request, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def database_unavailable_view(exc: Exception, request: Request) -> Response:
    if not is_database_unavailable(exc):
        from thebot.errors import server_error_view

        return server_error_view(exc, request)
    from pyramid_retry import is_error_retryable

    if not is_error_retryable(request, exc):  # a serialization conflict is not an outage
        OUTAGES.failed(DATABASE, exc, f"{request.method} {request.path}")
    return service_unavailable(request, "The database is unavailable right now; retry later.")


def outage_tween_factory(handler: Callable[[Any], Response], registry: Any) -> Callable:
    """Render what escaped the exception views (tweens, commit) with those same views."""

    def tween(request: Request) -> Response:
        try:
            return handler(request)
        except Exception:
            # Sets request.exception, so pyramid_retry still re-runs a retryable failure.
            return request.invoke_exception_view(sys.exc_info())

    return tween


def _watch_engine(engine: Any) -> None:
    # A connection handed out again ends a database outage (one summary line in the log).
    @event.listens_for(engine, "engine_connect")
    def _connected(_connection: Any) -> None:
        OUTAGES.recovered(DATABASE)


def includeme(config: Any) -> None:
    config.add_exception_view(database_unavailable_view, sa_exc.OperationalError)
    config.add_exception_view(database_unavailable_view, sa_exc.InterfaceError)
    config.add_exception_view(database_unavailable_view, sa_exc.TimeoutError)
    config.add_exception_view(database_unavailable_view, sa_exc.DBAPIError)
    config.add_tween(
        "thebot.outages.outage_tween_factory",
        under="thebot.tweens.gatekeeper_tween_factory",
        over="pyramid_tm.tm_tween_factory",
    )
    engine = config.registry.get("dbengine")
    if engine is not None:
        _watch_engine(engine)
