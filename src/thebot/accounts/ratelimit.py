"""Rate limits with the ``limits`` library: Redis storage when configured, memory otherwise."""

from __future__ import annotations

import math
import time
from typing import Any

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from thebot.errors import APIProblem


def make_limiter(settings: dict[str, Any]) -> MovingWindowRateLimiter:
    url = settings.get("redis_url")
    storage = storage_from_string(url, key_prefix="thebot-rl") if url else MemoryStorage()
    return MovingWindowRateLimiter(storage)


def enforce(request: Any, scope: str, key: str, limit: str) -> None:
    """Count one hit of ``scope`` for ``key`` against ``limit`` (e.g. ``"5/minute"``).

    Raises a 429 problem with ``Retry-After`` once the limit is exceeded.
    """
    limiter: MovingWindowRateLimiter = request.registry["rate_limiter"]
    item = parse(limit)
    if limiter.hit(item, scope, key):
        return
    reset = limiter.get_window_stats(item, scope, key).reset_time
    retry_after = max(1, math.ceil(reset - time.time()))
    raise APIProblem(
        429,
        f"Too many requests; try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
    )


def includeme(config: Any) -> None:
    config.registry["rate_limiter"] = make_limiter(config.get_settings())
