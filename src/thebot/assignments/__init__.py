"""Assignments, submissions, grading with rubrics and late policies, and progress reports."""

from typing import Any


def includeme(config: Any) -> None:
    config.scan("thebot.assignments")
