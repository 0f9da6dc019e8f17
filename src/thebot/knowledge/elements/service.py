"""Elements: create, read, change and delete authored content."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, exists, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.catalog.models import Subject
from thebot.errors import Conflict, Forbidden, Invalid
from thebot.knowledge import access, totals
from thebot.knowledge.elements.content import clean_content
from thebot.knowledge.models import Element, ElementProgress, LessonElement
from thebot.schemas import iso

LIST_ORDER = [(Element.id, "asc")]


def normalise_tags(tags: Any) -> list[str]:
    """Lower-cased, single-spaced, without duplicates, in the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = " ".join(tag.split()).lower()
        if clean:
            seen.setdefault(clean, None)
    return list(seen)


def check_author(dbsession: Session, viewer: User, subject_id: int) -> None:
    """``viewer`` authors in ``subject_id`` (400 for a missing subject, 403 otherwise)."""
    if dbsession.get(Subject, subject_id) is None:
        raise Invalid("subject_id", "No such subject")
    if not access.can_author(dbsession, viewer, subject_id):
        raise Forbidden("You do not teach this subject.")


def create(dbsession: Session, viewer: User, values: dict[str, Any]) -> Element:
    check_author(dbsession, viewer, values["subject_id"])
    element = Element(
        type=values["type"],
        title=values["title"],
        subject_id=values["subject_id"],
        author_id=viewer.id,
        difficulty=values["difficulty"],
        estimated_minutes=values["estimated_minutes"],
        max_score=values["max_score"],
        max_attempts=values["max_attempts"],
        tags=normalise_tags(values["tags"]),
        shared=values["shared"],
        content=clean_content(values["type"], values["content"]),
    )
    dbsession.add(element)
    dbsession.flush()
    return element


def update(dbsession: Session, element: Element, changes: dict[str, Any]) -> list[int]:
    """Apply ``changes``; the stored totals of the lessons holding the element follow a
    new ``max_score`` or ``estimated_minutes``. Returns the ids of the lessons whose
    maximum score moved (a required element's new ``max_score``)."""
    if "content" in changes:
        changes["content"] = clean_content(element.type, changes["content"])
    if "tags" in changes:
        changes["tags"] = normalise_tags(changes["tags"])
    moved = any(
        name in changes and changes[name] != getattr(element, name)
        for name in ("max_score", "estimated_minutes")
    )
    for name, value in changes.items():
        setattr(element, name, value)
    dbsession.flush()
    if not moved:
        return []
    return totals.store(
        dbsession,
        dbsession.scalars(
            select(LessonElement.lesson_id).where(LessonElement.element_id == element.id)
        ).all(),
    )


def delete(dbsession: Session, element: Element) -> None:
    """Delete an element no lesson uses (409 otherwise: remove it from them first) and no
    student has worked on (409: deleting it would delete their progress and answers)."""
    used = dbsession.scalars(
        select(LessonElement.lesson_id)
        .where(LessonElement.element_id == element.id)
        .order_by(LessonElement.lesson_id)
    ).all()
    if used:
        raise Conflict(
            "The element is used in lessons; remove it from them first.",
            lesson_ids=list(used),
        )
    worked = dbsession.scalar(
        select(func.count())
        .select_from(ElementProgress)
        .where(ElementProgress.element_id == element.id)
    )
    if worked:
        raise Conflict(
            "Students have worked on this element; their progress and answers stay.",
            progress_count=int(worked),
        )
    dbsession.delete(element)
    dbsession.flush()


def has_tag(dialect: str, tag: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return cast(Element.tags, JSONB).contains([tag])
    if dialect == "sqlite":
        each = func.json_each(Element.tags).table_valued("value")
        return exists(select(each.c.value).where(each.c.value == tag))
    return cast(Element.tags, String).contains(f'"{tag}"', autoescape=True)


def elements_query(viewer: User, dialect: str, filters: dict[str, Any]) -> Select[Any]:
    """The elements ``viewer`` may read, filtered by ``subject``, ``type`` and ``tag``."""
    stmt = select(Element).where(access.readable_content_clause(viewer, Element))
    if "subject" in filters:
        stmt = stmt.where(Element.subject_id == filters["subject"])
    if "type" in filters:
        stmt = stmt.where(Element.type == filters["type"])
    tag = normalise_tags([filters.get("tag", "")])
    if tag:
        stmt = stmt.where(has_tag(dialect, tag[0]))
    return stmt


def element_data(element: Element) -> dict[str, Any]:
    return {
        "id": element.id,
        "type": element.type,
        "title": element.title,
        "subject_id": element.subject_id,
        "author_id": element.author_id,
        "content": element.content,
        "difficulty": element.difficulty,
        "estimated_minutes": element.estimated_minutes,
        "max_score": element.max_score,
        "max_attempts": element.max_attempts,
        "tags": list(element.tags or []),
        "shared": element.shared,
        "created_at": iso(element.created_at),
        "updated_at": iso(element.updated_at),
    }
