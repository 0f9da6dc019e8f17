"""Catalog: subjects, who may teach them, and students' enrollments."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.catalog.enrollments import enrollment_relation
    from thebot.catalog.subjects import subjects_taught

    config.add_teaching_relation("enrollment", enrollment_relation)
    for role in ("teacher", "tutor"):  # their profiles list the subjects they teach
        config.add_profile_field(role, "subjects", subjects_taught)
    config.scan("thebot.catalog")
