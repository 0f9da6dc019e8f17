"""A lesson's totals over its elements, stored on ``knowledge_lesson``: the number of
elements and of required ones, the estimated minutes of all of them and the maximum score
(the sum over required elements: what completion counts).

They are the same for every student, and every graph read and class overview shows them,
so they are computed when they change, not when they are read: ``store`` runs wherever a
lesson's element list is written (creating or editing a lesson, importing a template) and
wherever an element's ``max_score`` or ``estimated_minutes`` changes, in that transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from thebot.knowledge.models import Element, Lesson, LessonElement

FIELDS = ("element_count", "required_count", "estimated_minutes", "max_score")


def computed(dbsession: Session, lesson_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """The totals of ``lesson_ids`` from their elements, in one aggregate (``FIELDS``
    order; zeros for a lesson without elements)."""
    ids = sorted(set(lesson_ids))
    if not ids:
        return {}
    required = LessonElement.required.is_(True)
    rows = dbsession.execute(
        select(
            LessonElement.lesson_id,
            func.count(),
            func.sum(case((required, 1), else_=0)),
            func.sum(Element.estimated_minutes),
            func.sum(case((required, Element.max_score), else_=0)),
        )
        .join(Element, Element.id == LessonElement.element_id)
        .where(LessonElement.lesson_id.in_(ids))
        .group_by(LessonElement.lesson_id)
    ).all()
    found = {row[0]: tuple(int(v or 0) for v in row[1:]) for row in rows}
    return {lesson_id: found.get(lesson_id, (0, 0, 0, 0)) for lesson_id in ids}


def store(dbsession: Session, lesson_ids: Iterable[int]) -> list[int]:
    """Recompute and store the totals of ``lesson_ids``; returns the ids of the lessons
    whose ``max_score`` moved (the states of student graphs placing them may move too)."""
    dbsession.flush()
    sums = computed(dbsession, lesson_ids)
    if not sums:
        return []
    moved = []
    for lesson in dbsession.scalars(select(Lesson).where(Lesson.id.in_(list(sums)))).all():
        values = dict(zip(FIELDS, sums[lesson.id], strict=True))
        if values["max_score"] != lesson.max_score:
            moved.append(lesson.id)
        for name, value in values.items():
            if getattr(lesson, name) != value:
                setattr(lesson, name, value)
    dbsession.flush()
    return sorted(moved)


def totals_data(row: Any) -> dict[str, int]:
    """A lesson's (or a row's with the same column names) totals as the API shows them."""
    return {name: getattr(row, name) for name in FIELDS}
