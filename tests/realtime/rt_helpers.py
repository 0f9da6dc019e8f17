"""Helpers of the real-time tests (importable: test modules do not import conftest)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import text

from testenv import TEST_REDIS_URL


def run(coro: Any) -> Any:
    """Drive an async test body on a fresh loop (no pytest-asyncio)."""
    return asyncio.run(asyncio.wait_for(coro, timeout=30))


async def receive(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


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
