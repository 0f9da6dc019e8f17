"""Helpers of the learning tests: a student graph whose lessons hold one element of each
kind, the answers of its questions spelled so a leak is easy to see, and URL builders."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

SECRET_ACCEPTED = "zebra-crossing-accepted"
SECRET_EXPLANATION = "because-the-explanation-is-secret"
API = "/api/knowledge/"

THEORY = ("theory", {"markdown": "# Halves\n\nA half is 1/2."}, True, {"estimated_minutes": 4})
VIDEO = (
    "video",
    {"url": "https://video.example/halves.mp4", "duration_seconds": 100},
    True,
    {"max_score": 2},
)
CHOICE = (
    "quick_question",
    {
        "question": "Which are halves?",
        "choices": ["1/2", "2/4", "1/3"],
        "correct": [0, 1],
        "explanation": SECRET_EXPLANATION,
    },
    True,
    {"max_score": 3, "max_attempts": 2},
)
SHORT = (
    "quick_question",
    {
        "question": "Name the animal with stripes",
        "accepted_answers": [SECRET_ACCEPTED, "Zebra"],
        "explanation": SECRET_EXPLANATION + "-short",
    },
    True,
    {"max_score": 1, "max_attempts": 3},
)
PROBLEM = ("text_problem", {"statement": "Prove that 2/4 = 1/2."}, True, {"max_score": 10})
OPTIONAL = ("theory", {"markdown": "Extra reading"}, False, {"estimated_minutes": 0})
ALL_KINDS = [THEORY, VIDEO, CHOICE, SHORT, PROBLEM, OPTIONAL]


def lesson_url(graph: Any, node: Any) -> str:
    return f"{API}graphs/{graph.id}/nodes/{node.id}/"


def element_url(graph: Any, node: Any, element_id: int, action: str) -> str:
    return f"{lesson_url(graph, node)}elements/{element_id}/{action}/"


def elements_of(dbsession: Any, lesson: Any) -> list[Any]:
    """The lesson's elements in order."""
    from sqlalchemy import select

    from thebot.knowledge.models import Element, LessonElement

    return list(
        dbsession.scalars(
            select(Element)
            .join(LessonElement, LessonElement.element_id == Element.id)
            .where(LessonElement.lesson_id == lesson.id)
            .order_by(LessonElement.position)
        )
    )


def path(make_graph: Any, make_lesson: Any, school: Any, elements: Any, **kw: Any) -> Any:
    """A student graph of S: lesson 0 (``elements``) -> lesson 1 (required, 0%) and any
    ``kw`` for ``make_graph``; ``.first`` is lesson 0's elements by kind name."""
    first = make_lesson(school.x, school.E, elements=elements, title="Halves")
    second = make_lesson(school.x, school.E, title="Quarters")
    edges = kw.pop("edges", [(0, 1, "required", 0)])
    made = make_graph(school, student=school.S, lessons=[first, second], edges=edges, **kw)
    return made


def node_urls(made: Any) -> SimpleNamespace:
    return SimpleNamespace(
        lesson=[lesson_url(made.graph, node) for node in made.nodes],
    )
