"""Reading materials: the list query and the JSON of a material, from plain rows.

A page of 50 materials is one SQL statement: the material columns a list shows (never the
content), its subject, its author and its file, joined, loaded as rows rather than ORM
objects (no identity map, no relationship loading: a fraction of the CPU per item). The
single-object JSON is built by the same function from the same columns plus the content.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, String, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Bundle, Session, aliased

from thebot.accounts.models import User
from thebot.accounts.service import brief, iso
from thebot.materials import visibility
from thebot.materials.materials import assigned_student_ids, normalise_tags
from thebot.materials.media import media_payload
from thebot.materials.models import Material, MediaFile, Subject
from thebot.materials.subjects import subject_brief

Author = aliased(User, name="author")
COLUMNS = (
    Material.id,
    Material.title,
    Material.type,
    Material.status,
    Material.published_at,
    Material.video_url,
    Material.is_public,
    Material.tags,
    Material.difficulty,
    Material.created_at,
    Material.updated_at,
    # Nested row-likes with the attribute names the shared JSON helpers read.
    Bundle("subject", Subject.id, Subject.name, Subject.color),
    Bundle("author", Author.id, Author.username, Author.first_name, Author.last_name, Author.role),
    Bundle(
        "file",
        MediaFile.id,
        MediaFile.storage_name,
        MediaFile.content_type,
        MediaFile.size,
        MediaFile.original_name,
        MediaFile.sha256,
    ),
)
LIST_ORDER = ((Material.created_at, "desc"), (Material.id, "desc"))


def material_rows(*extra: Any) -> Select:
    """Material columns with subject, author and file (``extra`` columns appended)."""
    return (
        select(*COLUMNS, *extra)
        .join(Subject, Subject.id == Material.subject_id)
        .outerjoin(Author, Author.id == Material.author_id)
        .outerjoin(MediaFile, MediaFile.id == Material.file_id)
    )


def has_tag(dialect: str, tag: str) -> ColumnElement[bool]:
    """``tag`` is one of the material's tags (the JSON list), as each database spells it."""
    if dialect == "postgresql":
        return cast(Material.tags, JSONB).contains([tag])
    if dialect == "sqlite":
        each = func.json_each(Material.tags).table_valued("value")
        return exists(select(each.c.value).where(each.c.value == tag))
    return cast(Material.tags, String).contains(json.dumps(tag), autoescape=True)


FILTERS = (
    ("subject", Material.subject_id),
    ("type", Material.type),
    ("status", Material.status),
    ("author", Material.author_id),
    ("is_public", Material.is_public),
)


def materials_query(viewer: User, filters: dict[str, Any], *, dialect: str) -> Select:
    """The materials ``viewer`` sees, filtered by subject, type, status, author, tag, q."""
    stmt = material_rows().where(visibility.visible_materials_clause(viewer))
    for name, column in FILTERS:
        if name in filters:
            stmt = stmt.where(column == filters[name])
    tag = normalise_tags([filters["tag"]]) if filters.get("tag") else []
    if tag:
        stmt = stmt.where(has_tag(dialect, tag[0]))
    if filters.get("q"):
        q = filters["q"]
        stmt = stmt.where(
            or_(
                Material.title.icontains(q, autoescape=True),
                Material.content.icontains(q, autoescape=True),
            )
        )
    return stmt


def material_item(row: Row) -> dict[str, Any]:
    """A material's JSON (without content) from a ``material_rows`` row."""
    return {
        "id": row.id,
        "title": row.title,
        "type": row.type,
        "status": row.status,
        "published_at": iso(row.published_at),
        "subject": subject_brief(row.subject),
        "author": brief(row.author) if row.author.id is not None else None,
        "file": media_payload(row.file) if row.file.id is not None else None,
        "video_url": row.video_url,
        "is_public": row.is_public,
        "tags": list(row.tags or []),
        "difficulty": row.difficulty,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def material_detail(dbsession: Session, material: Material, *, editor: bool) -> dict[str, Any]:
    """The single-object JSON (with content); editors also see whom it is assigned to."""
    row = dbsession.execute(
        material_rows(Material.content).where(Material.id == material.id)
    ).one()
    data = material_item(row)
    data["content"] = row.content
    if editor:
        data["assigned_student_ids"] = assigned_student_ids(dbsession, material)
    return data
