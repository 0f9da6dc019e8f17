"""Notification actors."""

from __future__ import annotations

from typing import Any

from thebot.notifications.email import build_message, deliver
from thebot.tasks import task


@task("notifications.send_email", queue="email", max_retries=5, min_backoff=10_000)
def send_email(
    request: Any, to: list[str], subject: str, body: str, html: str | None = None
) -> None:
    """Deliver one message; Dramatiq retries with backoff when the SMTP server fails."""
    deliver(
        request.registry.settings,
        build_message(request.registry.settings, to, subject, body, html),
    )
