"""Relationships: tutors' students, parent links, pairing codes; who sees whom."""

from typing import Any

from thebot.accounts import visibility


def includeme(config: Any) -> None:
    config.add_directive("add_teaching_relation", visibility.add_teaching_relation)
    config.add_teaching_relation("tutor", visibility.tutor_relation)
