"""Helpers of the real-time tests (importable: test modules do not import conftest)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from gateway_support import receive, run  # noqa: F401  (the frame helpers, shared)
from testenv import TEST_REDIS_URL


async def nothing_more(ws: Any, wait: float = 0.3) -> None:
    """Assert no frame arrives within ``wait`` seconds (a ping proves the socket alive)."""
    try:
        frame = await asyncio.wait_for(ws.recv(), wait)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"unexpected frame {frame}")


def redis_only() -> Any:
    return pytest.mark.skipif(not TEST_REDIS_URL, reason="needs THEBOT_TEST_REDIS_URL")


def count_outbox(app: Any) -> int:
    session = app.registry["dbsession_factory"]()
    try:
        return session.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    finally:
        session.close()
