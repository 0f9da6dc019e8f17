"""Catalog: subjects, who may teach them, and students' enrollments."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.catalog.enrollments import enrollment_relation

    config.add_teaching_relation("enrollment", enrollment_relation)
    config.scan("thebot.catalog")
