"""Fixtures of the system tests: live worker and scheduler processes, by their heartbeats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from thebot.system.heartbeats import SCHEDULER, WORKER, beat


@pytest.fixture
def heartbeat(dbsession: Any) -> Callable[..., str]:
    """``heartbeat(kind, queues=..., now=...)``: record a process's heartbeat; its id back."""
    counter = iter(range(1, 1000))

    def record(kind: str = WORKER, queues: Any = None, **kwargs: Any) -> str:
        instance = f"test-{kind}-{next(counter)}"
        beat(dbsession, instance=instance, kind=kind, queues=queues or (), **kwargs)
        return instance

    return record


@pytest.fixture
def live_processes(app: Any, heartbeat: Callable[..., str]) -> None:
    """A worker consuming every declared queue and a scheduler, both just seen."""
    heartbeat(WORKER, sorted(app.registry["task_broker"].get_declared_queues()))
    heartbeat(SCHEDULER)
