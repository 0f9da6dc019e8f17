"""Colander schemas of the materials API: materials and their assignment (request bodies,
query strings and, for the OpenAPI document, responses)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import colander

from thebot.accounts.users.schemas import BriefUser
from thebot.catalog.schemas import SubjectBrief
from thebot.materials.models import MaterialStatus, MaterialType
from thebot.materials.schemas import (
    IdList,
    body_id,
    body_integer,
    long_text,
    node,
    nullable,
)
from thebot.media.schemas import MediaFileSchema
from thebot.pagination import PaginationQuery
from thebot.schemas import (
    DROP,
    Field,
    QueryBoolean,
    StrictMapping,
    boolean,
    choice,
    object_id,
    text,
)

MATERIAL_TYPES = tuple(t.value for t in MaterialType)
MATERIAL_STATUSES = tuple(s.value for s in MaterialStatus)
MAX_CONTENT = 200_000
MAX_TAGS = 20
MAX_TAG = 50
MAX_ASSIGN = 200


def validate_video_url(node: Any, value: Any) -> None:
    """An absolute ``https://`` URL with a host (no other scheme, no spaces or controls)."""
    if value is None:
        return
    if len(value) > 500:
        raise colander.Invalid(node, "At most 500 characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:
        raise colander.Invalid(node, "Not a valid URL") from exc
    if parts.scheme.lower() != "https" or not host:
        raise colander.Invalid(node, "The video URL must be an https:// address")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise colander.Invalid(node, "The URL may not contain spaces or control characters")


class Tags(colander.SequenceSchema):
    """Up to 20 tags of 1-50 characters; stored lower-cased and without duplicates."""

    tag = text(MAX_TAG, min_length=1)
    validator = colander.Length(0, MAX_TAGS, max_err=f"At most {MAX_TAGS} tags")


class StudentIds(colander.SequenceSchema):
    student_id = body_id()
    validator = colander.Length(1, MAX_ASSIGN, min_err="Name at least one student")


# --- materials --------------------------------------------------------------------------


class MaterialsQuery(StrictMapping, PaginationQuery):
    subject = object_id(missing=DROP)
    type = choice(MATERIAL_TYPES, missing=DROP)
    status = choice(MATERIAL_STATUSES, missing=DROP)
    author = object_id(missing=DROP)
    q = text(100, min_length=1, missing=DROP, description="Words in the title or content")
    tag = text(MAX_TAG, min_length=1, missing=DROP)
    is_public = colander.SchemaNode(QueryBoolean(), missing=DROP)


class MaterialsListRequest(colander.MappingSchema):
    querystring = MaterialsQuery()


class CreateMaterialBody(StrictMapping):
    title = text(255, min_length=1)
    content = long_text(MAX_CONTENT, missing="")
    subject_id = body_id()
    type = choice(MATERIAL_TYPES)
    status = choice(MATERIAL_STATUSES, missing=MaterialStatus.DRAFT.value)
    video_url = Field(colander.String(), validator=validate_video_url, nullable=True, missing=None)
    is_public = boolean(missing=False)
    tags = Tags(missing=())
    difficulty = body_integer(1, 5, missing=1)


class CreateMaterialRequest(colander.MappingSchema):
    body = CreateMaterialBody()


class UpdateMaterialBody(StrictMapping):
    title = text(255, min_length=1, missing=DROP)
    content = long_text(MAX_CONTENT, missing=DROP)
    subject_id = body_id(missing=DROP)
    type = choice(MATERIAL_TYPES, missing=DROP)
    status = choice(MATERIAL_STATUSES, missing=DROP)
    video_url = Field(colander.String(), validator=validate_video_url, nullable=True, missing=DROP)
    is_public = boolean(missing=DROP)
    tags = Tags(missing=DROP)
    difficulty = body_integer(1, 5, missing=DROP)


class UpdateMaterialRequest(colander.MappingSchema):
    body = UpdateMaterialBody()


class AssignBody(StrictMapping):
    student_ids = StudentIds()


class AssignRequest(colander.MappingSchema):
    body = AssignBody()


# --- responses ------------------------------------------------------------------------


class TagList(colander.SequenceSchema):
    tag = node(colander.String())


class MaterialSchema(colander.MappingSchema):
    id = node(colander.Integer())
    title = node(colander.String())
    content = node(colander.String(), missing=colander.drop, description="single object only")
    type = choice(MATERIAL_TYPES)
    status = choice(MATERIAL_STATUSES)
    published_at = nullable(colander.DateTime())
    subject = SubjectBrief()
    author = BriefUser(missing=None)
    file = MediaFileSchema(missing=None)
    video_url = nullable(colander.String())
    is_public = node(colander.Boolean())
    tags = TagList()
    difficulty = node(colander.Integer())
    created_at = node(colander.DateTime())
    updated_at = node(colander.DateTime())
    assigned_student_ids = IdList(
        missing=colander.drop, description="single object, for those who may edit it"
    )


class MaterialList(colander.SequenceSchema):
    material = MaterialSchema()


class MaterialPage(colander.MappingSchema):
    items = MaterialList()
    next_cursor = nullable(colander.String())


class AssignResult(colander.MappingSchema):
    material_id = node(colander.Integer())
    assigned = IdList(description="Newly assigned now")
    already_assigned = IdList()
    student_ids = IdList(description="Every student the material is assigned to")


class MaterialFileSchema(colander.MappingSchema):
    material_id = node(colander.Integer())
    file = MediaFileSchema()
