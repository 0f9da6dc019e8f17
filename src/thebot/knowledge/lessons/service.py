"""Lessons: create, read, change (the element list is replaced whole) and delete."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.errors import Conflict, Invalid, field_error
from thebot.knowledge import access, totals
from thebot.knowledge.elements.service import check_author
from thebot.knowledge.models import Element, GraphNode, Lesson, LessonElement
from thebot.schemas import iso

LIST_ORDER = [(Lesson.id, "asc")]


def _checked_elements(
    dbsession: Session, viewer: User, subject_id: int, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The element list, if each is readable by ``viewer``, of the lesson's subject, once."""
    ids = [item["element_id"] for item in items]
    readable = dict(
        dbsession.execute(
            select(Element.id, Element.subject_id).where(
                Element.id.in_(ids), access.readable_content_clause(viewer, Element)
            )
        ).all()
    )
    errors = []
    seen: set[int] = set()
    for i, element_id in enumerate(ids):
        name = f"elements.{i}.element_id"
        if element_id in seen:
            errors.append(field_error(name, "Listed twice"))
        elif element_id not in readable:
            errors.append(field_error(name, "No such element"))
        elif readable[element_id] != subject_id:
            errors.append(field_error(name, "An element of another subject"))
        seen.add(element_id)
    if errors:
        raise Invalid(errors=errors)
    return items


def _place(dbsession: Session, lesson: Lesson, items: list[dict[str, Any]]) -> None:
    for position, item in enumerate(items):
        dbsession.add(
            LessonElement(
                lesson_id=lesson.id,
                element_id=item["element_id"],
                position=position,
                required=item["required"],
            )
        )


def create(dbsession: Session, viewer: User, values: dict[str, Any]) -> Lesson:
    check_author(dbsession, viewer, values["subject_id"])
    items = _checked_elements(dbsession, viewer, values["subject_id"], values["elements"])
    lesson = Lesson(
        title=values["title"],
        description=values["description"],
        subject_id=values["subject_id"],
        author_id=viewer.id,
        shared=values["shared"],
    )
    dbsession.add(lesson)
    dbsession.flush()
    _place(dbsession, lesson, items)
    totals.store(dbsession, [lesson.id])
    return lesson


def update(dbsession: Session, viewer: User, lesson: Lesson, changes: dict[str, Any]) -> bool:
    """Apply ``changes``; ``elements`` replaces the list (and the stored totals follow).
    Returns whether the lesson's maximum score moved."""
    items = changes.pop("elements", None)
    for name, value in changes.items():
        setattr(lesson, name, value)
    if items is None:
        dbsession.flush()
        return False
    _checked_elements(dbsession, viewer, lesson.subject_id, items)
    for row in dbsession.scalars(
        select(LessonElement).where(LessonElement.lesson_id == lesson.id)
    ).all():
        dbsession.delete(row)
    dbsession.flush()
    _place(dbsession, lesson, items)
    return bool(totals.store(dbsession, [lesson.id]))


def delete(dbsession: Session, lesson: Lesson) -> None:
    """Delete a lesson no graph places (409 otherwise: remove its nodes first)."""
    placed = dbsession.scalar(
        select(func.count()).select_from(GraphNode).where(GraphNode.lesson_id == lesson.id)
    )
    if placed:
        raise Conflict(
            f"The lesson is placed in {placed} graph(s); remove it from them first.",
            graph_count=placed,
        )
    dbsession.delete(lesson)
    dbsession.flush()


def lessons_query(viewer: User, filters: dict[str, Any]) -> Select[Any]:
    stmt = select(Lesson).where(access.readable_content_clause(viewer, Lesson))
    if "subject" in filters:
        stmt = stmt.where(Lesson.subject_id == filters["subject"])
    return stmt


def lessons_data(dbsession: Session, lessons: list[Lesson]) -> list[dict[str, Any]]:
    """Lessons with their elements and (stored) totals, in one query whatever their
    number."""
    ids = [lesson.id for lesson in lessons]
    placed: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        rows = dbsession.execute(
            select(LessonElement, Element.title, Element.type, Element.max_score)
            .join(Element, Element.id == LessonElement.element_id)
            .where(LessonElement.lesson_id.in_(ids))
            .order_by(LessonElement.lesson_id, LessonElement.position, LessonElement.id)
        ).all()
        for link, title, type_, max_score in rows:
            placed[link.lesson_id].append(
                {
                    "element_id": link.element_id,
                    "required": link.required,
                    "title": title,
                    "type": type_,
                    "max_score": max_score,
                }
            )
    return [
        {
            "id": lesson.id,
            "title": lesson.title,
            "description": lesson.description,
            "subject_id": lesson.subject_id,
            "author_id": lesson.author_id,
            "shared": lesson.shared,
            "elements": placed[lesson.id],
            "totals": totals.totals_data(lesson),
            "created_at": iso(lesson.created_at),
            "updated_at": iso(lesson.updated_at),
        }
        for lesson in lessons
    ]
