"""Materials: materials and their assignment, progress, comments and homework submissions."""

from typing import Any


def includeme(config: Any) -> None:
    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        "materials", "New materials, comments and feedback", email=False
    )
    config.include("thebot.materials.events")  # subscribers: notifications
    config.include("thebot.materials.progress")  # config.add_points_source; stats refresh
    config.scan("thebot.materials")
