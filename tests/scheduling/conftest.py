"""Fixtures shared by the scheduling tests: a frozen clock and cached auth headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from lessons_support import NOW

UTC = dt.timezone.utc


@pytest.fixture
def frozen(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The clock stands at ``NOW`` (move it with ``frozen.move_to``/``shift``); no rate limits,
    since these tests send many requests as one user. Modules opt in with
    ``pytestmark = pytest.mark.usefixtures("frozen")``."""
    monkeypatch.setitem(app.registry.settings, "rate_limit_enabled", False)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def as_(auth_headers: Callable[[Any], dict[str, str]]) -> Callable[[Any], dict[str, str]]:
    """Headers with a token of ``user``, one per user and day (tokens last a day, so a test
    that moved the clock gets a new one)."""
    cache: dict[tuple[int, dt.date], dict[str, str]] = {}

    def headers(user: Any) -> dict[str, str]:
        key = (user.id, dt.datetime.now(UTC).date())
        if key not in cache:
            cache[key] = auth_headers(user)
        return cache[key]

    return headers
