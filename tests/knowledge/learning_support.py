"""Helpers of the learning tests: a student graph whose lessons hold one element of each
kind, the answers of its questions spelled so a leak is easy to see, and URL builders."""

from __future__ import annotations

import datetime as dt
import uuid
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


QUESTION = {"question": "Halves?", "choices": ["1/2", "1/3"], "correct": [0]}


def seed_committed(
    app: Any,
    lessons: int,
    requires: list[tuple[int, int]],
    kind: str = "quick_question",
    content: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Committed (for apps with their own engine): a student graph of ``lessons``
    one-question lessons (one attempt each, answer ``[0]``; or elements of ``kind`` with
    ``content``), with the required edges ``requires``; every element's progress started.
    Returns ids, the student's ``headers`` and two admins' (``admin_headers``)."""
    from thebot.accounts.credentials.tokens import issue_token
    from thebot.accounts.models import StudentProfile, User
    from thebot.catalog.models import Subject
    from thebot.knowledge import totals
    from thebot.knowledge.models import (
        Dependency,
        Element,
        ElementProgress,
        GraphNode,
        KnowledgeGraph,
        Lesson,
        LessonElement,
    )
    from thebot.knowledge.states import refresh_graph

    tag = uuid.uuid4().hex[:8]
    with app.registry["dbsession_factory"]() as session, session.begin():
        session.info["registry"] = app.registry
        author = User(username=f"e-{tag}", email=f"e-{tag}@example.com", role="teacher")
        student = User(username=f"s-{tag}", email=f"s-{tag}@example.com", role="student")
        session.add_all([author, student])
        session.flush()
        session.add(StudentProfile(user_id=student.id))
        subject = Subject(name=f"Race {tag}")
        session.add(subject)
        session.flush()
        graph = KnowledgeGraph(kind="student", subject_id=subject.id, student_id=student.id)
        session.add(graph)
        session.flush()
        nodes, elements = [], []
        for i in range(lessons):
            lesson = Lesson(title=f"L{i}", subject_id=subject.id, author_id=author.id)
            element = Element(
                type=kind,
                title=f"Q{i}",
                subject_id=subject.id,
                author_id=author.id,
                max_attempts=1,
                max_score=1,
                content=content or QUESTION,
            )
            session.add_all([lesson, element])
            session.flush()
            session.add(LessonElement(lesson_id=lesson.id, element_id=element.id, position=0))
            totals.store(session, [lesson.id])
            node = GraphNode(graph_id=graph.id, lesson_id=lesson.id, x=i, y=0)
            session.add(node)
            session.flush()
            nodes.append(node.id)
            elements.append(element.id)
        for a, b in requires:
            session.add(Dependency(graph_id=graph.id, from_node_id=nodes[a], to_node_id=nodes[b]))
        session.flush()
        refresh_graph(session, graph, announce=False)
        for node_id, element_id in zip(nodes, elements, strict=True):
            session.add(
                ElementProgress(
                    node_id=node_id,
                    element_id=element_id,
                    student_id=student.id,
                    state="in_progress",
                    started_at=dt.datetime.now(dt.timezone.utc),
                )
            )
        key = issue_token(session, student, dt.timedelta(hours=1))[0]
        admins = []
        for i in range(2):
            admin = User(username=f"a{i}-{tag}", email=f"a{i}-{tag}@example.com", role="admin")
            session.add(admin)
            session.flush()
            admin_key = issue_token(session, admin, dt.timedelta(hours=1))[0]
            admins.append({"Authorization": f"Token {admin_key}"})
        return {
            "admin_headers": admins,
            "graph": graph.id,
            "student_id": student.id,
            "nodes": nodes,
            "elements": elements,
            "headers": {"Authorization": f"Token {key}"},
        }
