"""Fixtures of the knowledge-graph tests: a school around one subject, logins per role,
and builders of content and student graphs straight in the database.

The school (``school``): subject X. Teacher E is assigned to X and teaches student S in it
(an active enrollment); teacher E2 is assigned to X too but teaches S2, not S. Tutor T is
S's tutor, tutor T2 is S2's. P is S's parent, P2 is S2's. A is an admin. ``ROLES`` names
them all, for RBAC matrices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from factories import (
    DependencyFactory,
    ElementFactory,
    EnrollmentFactory,
    GraphNodeFactory,
    KnowledgeGraphFactory,
    KnowledgeLessonFactory,
    LessonElementFactory,
    ParentLinkFactory,
    SubjectFactory,
    TeacherSubjectFactory,
)
from thebot.knowledge import totals

UTC = dt.timezone.utc
ROLES = ("E", "E2", "T", "T2", "S", "S2", "P", "P2", "A")
API = "/api/knowledge/"


@pytest.fixture
def school(make_user: Callable[..., Any], dbsession: Any) -> SimpleNamespace:
    people: dict[str, Any] = {"A": make_user("admin")}
    for suffix in ("", "2"):
        tutor = make_user("tutor")
        student = make_user("student", profile={"tutor_id": tutor.id})
        parent = make_user("parent")
        ParentLinkFactory(student=student, parent=parent)
        people.update(
            {
                f"T{suffix}": tutor,
                f"S{suffix}": student,
                f"P{suffix}": parent,
                f"E{suffix}": make_user("teacher"),
            }
        )
    x = SubjectFactory(name="Mathematics")
    for teacher in ("E", "E2"):
        TeacherSubjectFactory(teacher_id=people[teacher].id, subject_id=x.id)
    enrollment = EnrollmentFactory(
        student_id=people["S"].id, subject_id=x.id, teacher_id=people["E"].id
    )
    EnrollmentFactory(student_id=people["S2"].id, subject_id=x.id, teacher_id=people["E2"].id)
    dbsession.flush()
    return SimpleNamespace(**people, people=people, x=x, subject=x, enrollment=enrollment)


@pytest.fixture
def as_(
    auth_headers: Callable[[Any], dict[str, str]], app: Any, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Any], dict[str, str]]:
    """``as_(user)``: ``Authorization`` headers of ``user`` (one token per user and day);
    rate limits are off for the test (matrices send many requests)."""
    monkeypatch.setitem(app.registry.settings, "rate_limit_enabled", False)
    cache: dict[tuple[int, dt.date], dict[str, str]] = {}

    def headers(user: Any) -> dict[str, str]:
        key = (user.id, dt.datetime.now(UTC).date())
        if key not in cache:
            cache[key] = auth_headers(user)
        return cache[key]

    return headers


@pytest.fixture
def api(testapp: Any, as_: Callable[[Any], dict[str, str]]) -> SimpleNamespace:
    """``api.get(path, user, status=200, **query)``, ``api.post(path, user, body, status=201)``,
    ``api.patch(...)``, ``api.delete(...)``: paths are relative to ``/api/knowledge/``."""

    def url(path: str) -> str:
        return path if path.startswith("/") else API + path

    def get(path: str, user: Any, status: Any = 200, **query: Any) -> Any:
        return testapp.get(url(path), params=query, headers=as_(user), status=status)

    def post(path: str, user: Any, body: Any = None, status: Any = 201) -> Any:
        return testapp.post_json(url(path), body or {}, headers=as_(user), status=status)

    def patch(path: str, user: Any, body: Any, status: Any = 200) -> Any:
        return testapp.patch_json(url(path), body, headers=as_(user), status=status)

    def delete(path: str, user: Any, status: Any = 204) -> Any:
        return testapp.delete(url(path), headers=as_(user), status=status)

    return SimpleNamespace(
        get=get, post=post, patch=patch, delete=delete, testapp=testapp, as_=as_
    )


@pytest.fixture
def make_lesson(dbsession: Any) -> Callable[..., Any]:
    """``make_lesson(subject, author, elements=[(type, content, required, extra), ...])``:
    a knowledge lesson with its elements (defaults: two required theory elements)."""

    def make(
        subject: Any,
        author: Any,
        elements: Sequence[tuple[str, dict[str, Any], bool, dict[str, Any]]] | None = None,
        title: str | None = None,
    ) -> Any:
        extra = {"title": title} if title else {}
        lesson = KnowledgeLessonFactory(subject_id=subject.id, author_id=author.id, **extra)
        if elements is None:
            elements = [("theory", {"markdown": f"Part {i}"}, True, {}) for i in (1, 2)]
        for position, (type_, content, required, fields) in enumerate(elements):
            element = ElementFactory(
                subject_id=subject.id, author_id=author.id, type=type_, content=content, **fields
            )
            LessonElementFactory(
                lesson_id=lesson.id, element_id=element.id, position=position, required=required
            )
        totals.store(dbsession, [lesson.id])  # as the lessons service does
        return lesson

    return make


@pytest.fixture
def make_graph(dbsession: Any, make_lesson: Callable[..., Any]) -> Callable[..., Any]:
    """``make_graph(school, student=None, lessons=3, edges=[(0, 1, "required", 0)])``: a
    template (``student=None``) or a student graph of ``school.x`` authored by E, with
    ``lessons`` new lessons (or a list of lessons) as nodes and ``edges`` between node
    indices; a student graph's states are refreshed (``announce=False``). Returns
    ``SimpleNamespace(graph, nodes, lessons, edges)``."""
    from thebot.knowledge.states import refresh_graph

    def make(
        school: Any,
        student: Any = None,
        lessons: int | Sequence[Any] = 3,
        edges: Sequence[tuple[int, int, str, int]] = (),
        template: Any = None,
    ) -> SimpleNamespace:
        if isinstance(lessons, int):
            lessons = [make_lesson(school.x, school.E) for _ in range(lessons)]
        graph = KnowledgeGraphFactory(
            kind="student" if student is not None else "template",
            subject_id=school.x.id,
            author_id=school.E.id,
            student_id=student.id if student is not None else None,
            template_id=template.id if template is not None else None,
        )
        nodes = [
            GraphNodeFactory(graph_id=graph.id, lesson_id=lesson.id, x=100 * i, y=0)
            for i, lesson in enumerate(lessons)
        ]
        made = [
            DependencyFactory(
                graph_id=graph.id,
                from_node_id=nodes[a].id,
                to_node_id=nodes[b].id,
                type=type_,
                min_score_percent=pct,
            )
            for a, b, type_, pct in edges
        ]
        dbsession.flush()
        if student is not None:
            refresh_graph(dbsession, graph, announce=False)
        return SimpleNamespace(graph=graph, nodes=nodes, lessons=list(lessons), edges=made)

    return make
