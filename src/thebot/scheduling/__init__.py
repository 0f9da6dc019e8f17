"""Scheduling: lessons, recurring series, conflicts, reminders and calendar feeds."""

from typing import Any


def includeme(config: Any) -> None:
    config.scan("thebot.scheduling")
