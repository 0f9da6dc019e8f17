"""Catalog: subjects, who may teach them, and students' enrollments."""

from typing import Any


def includeme(config: Any) -> None:
    import thebot.catalog.enrollments  # noqa: F401  (registers the enrollment teaching relation)

    config.scan("thebot.catalog")
