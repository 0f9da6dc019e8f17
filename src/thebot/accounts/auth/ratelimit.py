"""Rate limits with the ``limits`` library: Redis storage when configured, memory otherwise.

Two entry points:

* ``enforce(request, scope, key, limit)`` guards one operation (login, password reset,
  pairing-code redemption): it counts a hit and raises a 429 problem once ``limit`` is spent.
* The API tween applies the per-user limits (``api_burst_limit`` then ``api_rate_limit``) to
  every authenticated ``/api/`` request of a user and adds ``X-RateLimit-Limit``,
  ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (Unix time, seconds) to the response.

The storage is shared by every thread and, with Redis, every process, so a limit holds across
waitress threads and workers. Moving windows: a limit of 5/minute never admits a sixth request
within any 60 seconds. When the storage is unreachable the limits fail open (logged as
errors): an outage of Redis must not take the whole API down with it.

Limit hits are audited (action ``auth.rate_limited``). The request that hit the limit fails and its
transaction is aborted, so the event is written on a separate session from
``dbsession_factory`` and committed in a finished callback, once the request's own
transaction has ended (it holds no lock then, and rolling it back cannot take the event
along). At most one event is written per scope and key per window of the limit, so a flood
of blocked requests cannot flood the table.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pyramid.response import Response

from thebot.api import Request
from thebot.audit import audit
from thebot.errors import APIProblem, problem_response
from thebot.outages import OUTAGES

log = logging.getLogger(__name__)
OUTAGE_COMPONENT = "rate limit storage"

STORAGE_PREFIX = "ratelimit"  # after REDIS_KEY_PREFIX
AUDIT_ACTION = "auth.rate_limited"
API_SCOPE = "api"
BURST_SCOPE = "api-burst"
HEADER_LIMIT = "X-RateLimit-Limit"
HEADER_REMAINING = "X-RateLimit-Remaining"
HEADER_RESET = "X-RateLimit-Reset"


@dataclass(frozen=True)
class LimitState:
    """The outcome of one hit: allowed or not, and the window it was counted in."""

    allowed: bool
    limit: int
    remaining: int | None  # None: not read (an allowed hit counted with ``window=False``)
    reset_at: float | None  # Unix time at which the next request is admitted again

    def retry_after(self, now: float) -> int:
        assert self.reset_at is not None, "a refused hit always reads its window"
        return max(1, math.ceil(self.reset_at - now))

    def headers(self) -> dict[str, str]:
        if self.remaining is None or self.reset_at is None:
            return {}
        return {
            HEADER_LIMIT: str(self.limit),
            HEADER_REMAINING: str(max(0, self.remaining)),
            HEADER_RESET: str(math.ceil(self.reset_at)),
        }


@functools.lru_cache(maxsize=64)
def parse_limit(limit: str) -> RateLimitItem:
    """``"5/minute"`` as a ``limits`` item (settings are validated at start-up)."""
    return parse(limit)


def make_limiter(settings: dict[str, Any]) -> MovingWindowRateLimiter:
    url = settings.get("redis_url")
    if url:
        timeout = settings.get("redis_timeout", 2.0)
        storage: Any = storage_from_string(
            url,
            key_prefix=settings.get("redis_key_prefix", "thebot:") + STORAGE_PREFIX,
            wrap_exceptions=True,  # errors arrive as limits.errors.StorageError
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
    else:
        storage = MemoryStorage(wrap_exceptions=True)
    return MovingWindowRateLimiter(storage)


def reset_limits(registry: Any) -> None:
    """Forget every counted hit (tests; an operator lifting a lock-out)."""
    registry["rate_limiter"].storage.reset()


def enabled(registry: Any) -> bool:
    return bool(registry.settings.get("rate_limit_enabled", True))


def hit(
    registry: Any, scope: str, key: str, limit: str, *, window: bool = True
) -> LimitState | None:
    """Count one hit of ``scope``/``key``; ``None`` when the storage cannot be reached.

    The window's statistics (remaining, reset time: one more storage round trip, with Redis
    a second script call) are read for a refused hit, and for an allowed one only with
    ``window`` (callers that send the ``X-RateLimit-*`` headers of an allowed request).
    """
    limiter: MovingWindowRateLimiter = registry["rate_limiter"]
    item = parse_limit(limit)
    try:
        allowed = limiter.hit(item, scope, key)
        stats = limiter.get_window_stats(item, scope, key) if window or not allowed else None
    except StorageError as exc:
        # Logged once per outage, not per scope and request (thebot.outages).
        OUTAGES.failed(OUTAGE_COMPONENT, exc.storage_error, "limits not enforced")
        return None
    OUTAGES.recovered(OUTAGE_COMPONENT)
    if stats is None:
        return LimitState(allowed, item.amount, None, None)
    return LimitState(allowed, item.amount, stats.remaining, stats.reset_time)


def enforce(request: Request, scope: str, key: str, limit: str) -> None:
    """Count one hit of ``scope`` for ``key`` against ``limit`` (e.g. ``"5/minute"``).

    Raises a 429 problem with ``Retry-After`` once the limit is exceeded, and audits the hit.
    """
    if not enabled(request.registry):
        return
    state = hit(request.registry, scope, key, limit, window=False)
    if state is None or state.allowed:
        return
    record_limit_hit(request, scope, key, limit)
    retry_after = state.retry_after(_now())
    raise APIProblem(
        429,
        f"Too many requests; try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after), **state.headers()},
    )


def record_limit_hit(request: Request, scope: str, key: str, limit: str) -> None:
    """Audit a limit hit on its own committed session (at most once per window per key)."""
    limiter: MovingWindowRateLimiter = request.registry["rate_limiter"]
    item = parse_limit(limit)
    once = type(item)(1, item.multiples, namespace="AUDIT")
    try:
        if not limiter.hit(once, scope, key):
            return  # already audited in this window
    except StorageError:
        pass  # cannot tell: audit rather than lose the event
    # The user object belongs to the request's session, which is gone when the event is
    # written: keep the id only.
    identity = getattr(request, "identity", None)
    actor_id = getattr(getattr(identity, "user", None), "id", None)

    def write(request: Request) -> None:
        session = request.registry["dbsession_factory"]()
        try:
            audit(
                request,
                AUDIT_ACTION,
                actor=actor_id,
                dbsession=session,
                scope=scope,
                limit=limit,
                subject=key,
            )
            session.commit()
        except Exception:  # the 429 stands even when the audit store is down
            log.exception("could not record the %s limit hit", scope)
            session.rollback()
        finally:
            session.close()

    if hasattr(request, "add_finished_callback"):
        request.add_finished_callback(write)
    else:  # outside a Pyramid request (scripts, actors)
        write(request)


def _now() -> float:
    return time.time()


def api_rate_limit_tween_factory(handler: Callable[[Any], Response], registry: Any) -> Callable:
    """Per-user API limits and ``X-RateLimit-*`` headers for authenticated ``/api/`` calls.

    Runs inside the transaction (identity needs the database) and over the exception view,
    so error responses carry the headers too. A refused request is answered here, not
    raised: nothing downstream runs.
    """
    if not enabled(registry):
        return handler
    settings = registry.settings
    hourly, burst = settings["api_rate_limit"], settings["api_burst_limit"]

    def tween(request: Request) -> Response:
        if not request.path_info.startswith("/api/"):
            return handler(request)
        user = getattr(request.identity, "user", None)
        if user is None:  # anonymous, or the monitoring token
            return handler(request)
        key = f"user:{user.id}"
        # The burst limit's window is read only when it refuses: an allowed request's
        # headers describe the hourly limit (three storage round trips, not four).
        state = hit(registry, BURST_SCOPE, key, burst, window=False)
        if state is None or state.allowed:
            scope, limit = API_SCOPE, hourly
            state = hit(registry, API_SCOPE, key, hourly)
        else:
            scope, limit = BURST_SCOPE, burst
        if state is not None and not state.allowed:
            record_limit_hit(request, scope, key, limit)
            retry_after = state.retry_after(_now())
            response = problem_response(
                429,
                f"Too many requests; try again in {retry_after} seconds.",
                request=request,
                headers={"Retry-After": str(retry_after)},
            )
        else:
            response = handler(request)
        if state is not None:
            for name, value in state.headers().items():
                # an operation limit (enforce) that refused the request describes itself
                response.headers.setdefault(name, value)
        return response

    return tween


def includeme(config: Any) -> None:
    from pyramid.tweens import EXCVIEW

    config.registry["rate_limiter"] = make_limiter(config.get_settings())
    config.add_tween(
        "thebot.accounts.auth.ratelimit.api_rate_limit_tween_factory",
        under=("pyramid_tm.tm_tween_factory", "thebot.tweens.gatekeeper_tween_factory"),
        over=EXCVIEW,
    )
