"""Knowledge-graph rows for the backup round trip: elements with JSON content (unicode,
lists), a lesson placing them, a template and a student graph made from it (the graph,
node and dependency self-references), and the student's progress and answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from thebot.catalog.models import Subject
from thebot.knowledge.models import (
    Answer,
    Dependency,
    Element,
    ElementProgress,
    GraphNode,
    KnowledgeGraph,
    Lesson,
    LessonElement,
    LessonProgress,
)

T0 = dt.datetime(2026, 3, 4, 9, 30, 0, 125000, tzinfo=dt.timezone.utc)


def seed_knowledge(session: Session, *, teacher, student) -> None:
    subject = Subject(name="Граф знаний: дроби", created_at=T0, updated_at=T0)
    session.add(subject)
    session.flush()
    common = {"subject_id": subject.id, "author_id": teacher.id, "created_at": T0}
    theory = Element(
        type="theory",
        title="Половины",
        content={"markdown": "# Дроби\n\n½ = 2/4 — «половина»"},
        tags=["дроби", "basics"],
        estimated_minutes=4,
        updated_at=T0,
        **common,
    )
    question = Element(
        type="quick_question",
        title="Какие равны ½?",
        content={"question": "?", "choices": ["1/2", "2/4", "1/3"], "correct": [0, 1]},
        max_score=3,
        max_attempts=2,
        shared=True,
        updated_at=T0,
        **common,
    )
    lesson = Lesson(title="Дроби", description="", updated_at=T0, **common)
    session.add_all([theory, question, lesson])
    session.flush()
    session.add_all(
        [
            LessonElement(lesson_id=lesson.id, element_id=theory.id, position=0, required=False),
            LessonElement(lesson_id=lesson.id, element_id=question.id, position=1),
        ]
    )
    second = Lesson(title="Четверти", updated_at=T0, **common)
    template = KnowledgeGraph(kind="template", title="Путь", updated_at=T0, **common)
    session.add_all([second, template])
    session.flush()
    graph = KnowledgeGraph(
        kind="student",
        title="Путь",
        student_id=student.id,
        template_id=template.id,
        version=2,
        updated_at=T0,
        **common,
    )
    session.add(graph)
    session.flush()
    t_first = GraphNode(graph_id=template.id, lesson_id=lesson.id, x=0, y=0)
    t_second = GraphNode(graph_id=template.id, lesson_id=second.id, x=200, y=-40)
    session.add_all([t_first, t_second])
    session.flush()
    t_edge = Dependency(
        graph_id=template.id,
        from_node_id=t_first.id,
        to_node_id=t_second.id,
        min_score_percent=50,
    )
    first = GraphNode(graph_id=graph.id, lesson_id=lesson.id, source_node_id=t_first.id)
    after = GraphNode(graph_id=graph.id, lesson_id=second.id, x=200, source_node_id=t_second.id)
    session.add_all([t_edge, first, after])
    session.flush()
    session.add(
        Dependency(
            graph_id=graph.id,
            from_node_id=first.id,
            to_node_id=after.id,
            min_score_percent=50,
            source_dependency_id=t_edge.id,
        )
    )
    session.add_all(
        [
            LessonProgress(
                node_id=first.id,
                graph_id=graph.id,
                student_id=student.id,
                state="completed",
                score=3,
                max_score=3,
                unlocked_at=T0,
                started_at=T0,
                completed_at=T0,
                updated_at=T0,
            ),
            LessonProgress(
                node_id=after.id,
                graph_id=graph.id,
                student_id=student.id,
                state="unlocked",
                max_score=0,
                unlocked_at=T0,
                updated_at=T0,
            ),
        ]
    )
    progress = ElementProgress(
        node_id=first.id,
        element_id=question.id,
        student_id=student.id,
        state="completed",
        score=3,
        attempts=2,
        started_at=T0,
        completed_at=T0,
    )
    session.add(progress)
    session.flush()
    session.add_all(
        [
            Answer(
                progress_id=progress.id,
                student_id=student.id,
                element_id=question.id,
                attempt=1,
                answer=[2],
                status="graded",
                correct=False,
                score=0,
                created_at=T0,
                graded_at=T0,
            ),
            Answer(
                progress_id=progress.id,
                student_id=student.id,
                element_id=question.id,
                attempt=2,
                answer=[0, 1],
                status="graded",
                correct=True,
                score=3,
                feedback="Верно ✓",
                grader_id=teacher.id,
                created_at=T0,
                graded_at=T0,
            ),
        ]
    )
    session.flush()
