"""Actors of the real-time feature."""

from __future__ import annotations

from typing import Any

from thebot.realtime import publish
from thebot.tasks import task


@task(publish.ACTOR, max_retries=100)
def publish_event(
    request: Any, user_ids: list[int], type_: str, data: str, ts: float, uid: str
) -> None:
    """Append an event the committing process could not hand over (see ``publish``)."""
    publish.publish_task(request, user_ids, type_, data, ts, uid)
