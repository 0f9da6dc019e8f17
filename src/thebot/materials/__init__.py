"""Learning core: subjects, enrollments, materials, progress, media files and dashboards."""

from typing import Any


def includeme(config: Any) -> None:
    import thebot.materials.account_hooks  # registers the people listener (dashboards)
    import thebot.materials.visibility  # noqa: F401  (registers the enrollment relation)

    config.scan("thebot.materials")
