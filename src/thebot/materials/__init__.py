"""Materials: materials and their assignment, progress, comments and homework submissions."""

from typing import Any


def includeme(config: Any) -> None:
    config.include("thebot.materials.events")  # subscribers: dashboards, notifications
    config.scan("thebot.materials")
