"""Reading materials: the list query and the JSON of a material, from plain rows.

A page of 50 materials is one SQL statement: the material columns a list shows (never the
content), its subject, its author and its file, joined, loaded as rows rather than ORM
objects (no identity map, no relationship loading: a fraction of the CPU per item). The
single-object JSON is built by the same function from the same columns plus the content.

The page's keys are found first, in a subquery reading only ``created_at``, ``id`` and the
columns the visibility rules test (all in ``ix_material_created_at_visibility``: an
index-only scan in PostgreSQL, index entries only in SQLite), then its rows are read by id
(``page_rows``): a student sees about a tenth of the materials, so the walk skips ten
entries for each row it returns.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    String,
    Subquery,
    bindparam,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased

from thebot.accounts.models import User
from thebot.accounts.users.service import BRIEF_FIELDS
from thebot.catalog.models import Subject
from thebot.catalog.subjects import SUBJECT_BRIEF_FIELDS
from thebot.db.rows import Layout
from thebot.materials import visibility
from thebot.materials.materials.service import assigned_student_ids, normalise_tags
from thebot.materials.models import Material
from thebot.media.models import MediaFile
from thebot.media.service import MEDIA_FIELDS, media_json
from thebot.schemas import iso

Author = aliased(User, name="author")
MATERIAL_FIELDS = (
    "id",
    "title",
    "type",
    "status",
    "published_at",
    "video_url",
    "is_public",
    "tags",
    "difficulty",
    "created_at",
    "updated_at",
)
# Flat rows: the material's fields (bare names: the page cursor reads ``created_at`` and
# ``id``), then its subject's, author's and file's, for the shared JSON helpers.
ITEM = Layout(
    material=(Material, MATERIAL_FIELDS, ""),
    subject=(Subject, SUBJECT_BRIEF_FIELDS),
    author=(Author, BRIEF_FIELDS),
    file=(MediaFile, MEDIA_FIELDS),
)
COLUMNS = ITEM.columns
LIST_ORDER = ((Material.created_at, "desc"), (Material.id, "desc"))


def material_rows(*extra: Any, keys: Subquery | None = None) -> Select:
    """Material columns with subject, author and file (``extra`` columns appended); with
    ``keys``, of the materials whose ``id`` it lists."""
    stmt = select(*COLUMNS, *extra)
    if keys is not None:
        stmt = stmt.select_from(keys).join(Material, Material.id == keys.c.id)
    return (
        stmt.join(Subject, Subject.id == Material.subject_id)
        .outerjoin(Author, Author.id == Material.author_id)
        .outerjoin(MediaFile, MediaFile.id == Material.file_id)
    )


def page_rows(keys: Subquery) -> Select:
    """The rows of a page of list keys (``paginate(..., rows=page_rows)``)."""
    return material_rows(keys=keys)


# A list finds its page on these (``LIST_ORDER``), then reads the rows (``page_rows``).
LIST_KEYS = (Material.id, Material.created_at)
NOTHING = select(*LIST_KEYS).where(false())


FILTERS = (
    ("subject", Material.subject_id),
    ("type", Material.type),
    ("status", Material.status),
    ("author", Material.author_id),
    ("is_public", Material.is_public),
)
LIKE_ESCAPE = "/"


def has_tag(dialect: str) -> ColumnElement[bool]:
    """The material's tags (a JSON list) hold the ``tag`` parameter (see ``tag_param``)."""
    if dialect == "postgresql":
        return cast(Material.tags, JSONB).contains(bindparam("tag", type_=JSONB))
    if dialect == "sqlite":
        each = func.json_each(Material.tags).table_valued("value")
        return exists(select(each.c.value).where(each.c.value == bindparam("tag")))
    return cast(Material.tags, String).like(bindparam("tag"), escape=LIKE_ESCAPE)


def tag_param(dialect: str, tag: str) -> Any:
    if dialect == "postgresql":
        return [tag]
    if dialect == "sqlite":
        return tag
    return f"%{escape_like(json.dumps(tag))}%"


def escape_like(text: str) -> str:
    return "".join(LIKE_ESCAPE + c if c in "%_" + LIKE_ESCAPE else c for c in text)


@functools.cache  # a bounded set: roles x dialects x filter combinations
def list_template(role: str, dialect: str, filters: frozenset[str]) -> Select:
    """The list statement for an active ``role`` and the filters present, built once; the
    viewer's id and the filter values are bind parameters (see ``materials_query``); it
    selects the page keys (``LIST_KEYS``) for ``page_rows``."""
    stmt = select(*LIST_KEYS).where(visibility.visible_to_role(role, bindparam("viewer_id")))
    for name, column in FILTERS:
        if name in filters:
            stmt = stmt.where(column == bindparam(f"filter_{name}"))
    if "tag" in filters:
        stmt = stmt.where(has_tag(dialect))
    if "q" in filters:
        pattern: BindParameter[str] = bindparam("q")
        stmt = stmt.where(
            or_(
                Material.title.ilike(pattern, escape=LIKE_ESCAPE),
                Material.content.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    return stmt


def materials_query(
    viewer: User, filters: dict[str, Any], *, dialect: str
) -> tuple[Select, dict[str, Any]]:
    """The materials ``viewer`` sees, filtered by subject, type, status, author, tag, q: a
    statement template of page keys and its parameters (for ``paginate(..., params=...,
    rows=page_rows)``)."""
    params: dict[str, Any] = {"viewer_id": viewer.id}
    present = set()
    for name, _ in FILTERS:
        if name in filters:
            present.add(name)
            params[f"filter_{name}"] = filters[name]
    tag = normalise_tags([filters["tag"]]) if filters.get("tag") else []
    if tag:
        present.add("tag")
        params["tag"] = tag_param(dialect, tag[0])
    if filters.get("q"):
        present.add("q")
        params["q"] = f"%{escape_like(filters['q'])}%"
    if not viewer.is_active:  # sees nothing: no template for that
        return NOTHING, {}
    return list_template(viewer.role, dialect, frozenset(present)), params


def material_item(row: Row) -> dict[str, Any]:
    """A material's JSON (without content) from a ``material_rows`` row (by position: the
    hot loop of every materials page)."""
    (
        id_,
        title,
        type_,
        status,
        published_at,
        video_url,
        is_public,
        tags,
        difficulty,
        created_at,
        updated_at,
    ) = ITEM.values(row, "material")
    file = ITEM.values(row, "file")
    return {
        "id": id_,
        "title": title,
        "type": type_,
        "status": status,
        "published_at": iso(published_at),
        "subject": ITEM.part(row, "subject"),
        "author": ITEM.part(row, "author"),
        "file": None if file[0] is None else media_json(*file),
        "video_url": video_url,
        "is_public": is_public,
        "tags": list(tags or []),
        "difficulty": difficulty,
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
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
