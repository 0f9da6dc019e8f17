"""Materials: materials and their assignment, progress, comments and homework submissions."""

from typing import Any


def includeme(config: Any) -> None:
    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        "materials", "New materials, comments and feedback", email=False
    )
    config.include("thebot.materials.events")  # subscribers: notifications
    config.include("thebot.materials.progress")  # config.add_points_source; stats refresh
    from thebot.materials.materials.resources import can_view_material_file
    from thebot.materials.submissions.resources import can_view_submission_file
    from thebot.media.service import OWNER_MATERIAL, OWNER_SUBMISSION

    config.add_media_owner(OWNER_MATERIAL, can_view_material_file)  # who reads their files
    config.add_media_owner(OWNER_SUBMISSION, can_view_submission_file)
    config.scan("thebot.materials")
