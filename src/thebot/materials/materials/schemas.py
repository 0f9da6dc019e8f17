"""Colander schemas of the materials API: materials, assignment, progress, comments and
submissions (request bodies, query strings and, for the OpenAPI document, responses)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import colander

from thebot.materials.models import MaterialStatus, MaterialType, SubmissionStatus
from thebot.pagination import PaginationQuery
from thebot.schemas import (
    DROP,
    MAX_INT,
    MIN_INT,
    Field,
    QueryBoolean,
    StrictMapping,
    Uploads,
    boolean,
    id_range,
    object_id,
    text,
)

MATERIAL_TYPES = tuple(t.value for t in MaterialType)
MATERIAL_STATUSES = tuple(s.value for s in MaterialStatus)
SUBMISSION_STATUSES = tuple(s.value for s in SubmissionStatus)
FEEDBACK_STATUSES = (SubmissionStatus.REVIEWED.value, SubmissionStatus.RETURNED.value)
MAX_CONTENT = 200_000
MAX_TAGS = 20
MAX_TAG = 50
MAX_ASSIGN = 200
MAX_COMMENT = 5000
MAX_SUBMISSION_TEXT = 50_000
MAX_FEEDBACK_TEXT = 10_000
MAX_TIME_DELTA = 24 * 3600  # seconds one progress report may add


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


class JsonInteger(Field):
    """An integer in a JSON body: numbers only (``"5"``, ``5.0`` and ``true`` are errors)."""

    def deserialize(self, cstruct: Any = colander.null) -> Any:
        if isinstance(cstruct, str):
            raise colander.Invalid(self, f"{cstruct!r} is not an integer")
        return super().deserialize(cstruct)


def body_integer(low: int | None = None, high: int | None = None, **kw: Any) -> Any:
    validator = colander.Range(low, high) if low is not None or high is not None else None
    return JsonInteger(colander.Integer(strict=True), validator=validator, **kw)


def body_id(**kw: Any) -> Any:
    return JsonInteger(colander.Integer(strict=True), validator=id_range(), **kw)


def choice(choices: tuple[str, ...], **kw: Any) -> Any:
    return Field(colander.String(), validator=colander.OneOf(choices), **kw)


def long_text(max_length: int, **kw: Any) -> Any:
    """Free text kept as written (markdown: leading spaces matter)."""
    return Field(
        colander.String(allow_empty=True),
        validator=colander.Length(0, max_length),
        strip=False,
        **kw,
    )


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


# --- progress ---------------------------------------------------------------------------


class ProgressBody(StrictMapping):
    percentage = body_integer(
        MIN_INT,
        MAX_INT,
        missing=DROP,
        description="0-100; values outside are clamped; lower than the stored value is ignored",
    )
    time_spent_seconds = body_integer(
        0, MAX_TIME_DELTA, missing=0, description="Seconds to add to the time spent"
    )


class ProgressRequest(colander.MappingSchema):
    body = ProgressBody()


class ProgressQuery(StrictMapping, PaginationQuery):
    student = object_id(missing=DROP)


class ProgressListRequest(colander.MappingSchema):
    querystring = ProgressQuery()


# --- comments ---------------------------------------------------------------------------


class CommentBody(StrictMapping):
    body = text(MAX_COMMENT, min_length=1)
    parent_id = body_id(nullable=True, missing=None, description="The comment replied to")


class CommentRequest(colander.MappingSchema):
    body = CommentBody()


class ModerateCommentBody(StrictMapping):
    is_flagged = boolean()


class ModerateCommentRequest(colander.MappingSchema):
    body = ModerateCommentBody()


class CommentsQuery(StrictMapping, PaginationQuery):
    pass


class CommentsListRequest(colander.MappingSchema):
    querystring = CommentsQuery()


# --- submissions ------------------------------------------------------------------------


class SubmissionBody(StrictMapping):
    """JSON ``{"text"}``, or multipart/form-data with ``text`` and one or more ``files``."""

    text = long_text(MAX_SUBMISSION_TEXT, missing="")
    files = colander.SchemaNode(Uploads(), missing=(), description="multipart only")


class SubmissionRequest(colander.MappingSchema):
    body = SubmissionBody()


class SubmissionsQuery(StrictMapping, PaginationQuery):
    status = choice(SUBMISSION_STATUSES, missing=DROP)
    student = object_id(missing=DROP)


class SubmissionsListRequest(colander.MappingSchema):
    querystring = SubmissionsQuery()


class FeedbackBody(StrictMapping):
    grade = body_integer(1, 5)
    text = long_text(MAX_FEEDBACK_TEXT, missing="")
    status = choice(
        FEEDBACK_STATUSES,
        missing=SubmissionStatus.REVIEWED.value,
        description="returned: the student may resubmit",
    )


class FeedbackRequest(colander.MappingSchema):
    body = FeedbackBody()
