"""Notifications: email delivery (and, with accounts, in-app notifications and preferences)."""

from typing import Any


def includeme(config: Any) -> None:
    config.scan("thebot.notifications")
