"""Response schemas of the materials API, for the OpenAPI document (bodies are built by the
services: ``materials``, ``progress``, ``comments``, ``submissions``)."""

from __future__ import annotations

from typing import Any

import colander

from thebot.accounts.users.schemas import BriefUser
from thebot.materials.materials.schemas import (
    FEEDBACK_STATUSES,
    MATERIAL_STATUSES,
    MATERIAL_TYPES,
    SUBMISSION_STATUSES,
    choice,
)


def _node(typ: Any, **kw: Any) -> Any:
    return colander.SchemaNode(typ, **kw)


def _nullable(typ: Any, **kw: Any) -> Any:
    return colander.SchemaNode(typ, missing=None, **kw)


class MediaSchema(colander.MappingSchema):
    id = _node(colander.Integer())
    url = _node(colander.String())
    content_type = _node(colander.String())
    size = _node(colander.Integer())
    original_name = _node(colander.String())
    sha256 = _node(colander.String())


class MediaList(colander.SequenceSchema):
    file = MediaSchema()


class SubjectBrief(colander.MappingSchema):
    id = _node(colander.Integer())
    name = _node(colander.String())
    color = _node(colander.String())


class TagList(colander.SequenceSchema):
    tag = _node(colander.String())


class IdList(colander.SequenceSchema):
    id = _node(colander.Integer())


class MaterialSchema(colander.MappingSchema):
    id = _node(colander.Integer())
    title = _node(colander.String())
    content = _node(colander.String(), missing=colander.drop, description="single object only")
    type = choice(MATERIAL_TYPES)
    status = choice(MATERIAL_STATUSES)
    published_at = _nullable(colander.DateTime())
    subject = SubjectBrief()
    author = BriefUser(missing=None)
    file = MediaSchema(missing=None)
    video_url = _nullable(colander.String())
    is_public = _node(colander.Boolean())
    tags = TagList()
    difficulty = _node(colander.Integer())
    created_at = _node(colander.DateTime())
    updated_at = _node(colander.DateTime())
    assigned_student_ids = IdList(
        missing=colander.drop, description="single object, for those who may edit it"
    )


class MaterialList(colander.SequenceSchema):
    material = MaterialSchema()


class MaterialPage(colander.MappingSchema):
    items = MaterialList()
    next_cursor = _nullable(colander.String())


class AssignResult(colander.MappingSchema):
    material_id = _node(colander.Integer())
    assigned = IdList(description="Newly assigned now")
    already_assigned = IdList()
    student_ids = IdList(description="Every student the material is assigned to")


class ProgressSchema(colander.MappingSchema):
    material_id = _node(colander.Integer())
    student = BriefUser()
    percentage = _node(colander.Integer())
    is_completed = _node(colander.Boolean())
    completed_at = _nullable(colander.DateTime())
    time_spent_seconds = _node(colander.Integer())
    last_accessed_at = _node(colander.DateTime())
    created_at = _node(colander.DateTime())


class ProgressList(colander.SequenceSchema):
    progress = ProgressSchema()


class ProgressPage(colander.MappingSchema):
    items = ProgressList()
    next_cursor = _nullable(colander.String())


class _CommentFields(colander.MappingSchema):
    id = _node(colander.Integer())
    material_id = _node(colander.Integer())
    parent_id = _nullable(colander.Integer())
    depth = _node(colander.Integer())
    author = BriefUser(missing=None, description="null once deleted")
    body = _nullable(colander.String(), description="null when deleted or hidden by a moderator")
    is_deleted = _node(colander.Boolean())
    is_flagged = _node(colander.Boolean())
    created_at = _node(colander.DateTime())
    updated_at = _node(colander.DateTime())


class CommentSchema(_CommentFields):
    pass


class _Replies3(colander.SequenceSchema):
    comment = _CommentFields()


class _Comment2(_CommentFields):
    replies = _Replies3()


class _Replies2(colander.SequenceSchema):
    comment = _Comment2()


class ThreadSchema(_CommentFields):
    replies = _Replies2()


class ThreadList(colander.SequenceSchema):
    thread = ThreadSchema()


class ThreadPage(colander.MappingSchema):
    items = ThreadList()
    next_cursor = _nullable(colander.String())


class FeedbackSchema(colander.MappingSchema):
    id = _node(colander.Integer())
    grade = _node(colander.Integer())
    text = _node(colander.String())
    status = choice(FEEDBACK_STATUSES)
    teacher = BriefUser(missing=None)
    created_at = _node(colander.DateTime())


class FeedbackList(colander.SequenceSchema):
    feedback = FeedbackSchema()


class SubmissionSchema(colander.MappingSchema):
    id = _node(colander.Integer())
    material_id = _node(colander.Integer())
    student = BriefUser()
    text = _node(colander.String())
    status = choice(SUBMISSION_STATUSES)
    submitted_at = _node(colander.DateTime())
    updated_at = _node(colander.DateTime())
    files = MediaList()
    feedback = FeedbackList(description="Oldest first")


class SubmissionList(colander.SequenceSchema):
    submission = SubmissionSchema()


class SubmissionPage(colander.MappingSchema):
    items = SubmissionList()
    next_cursor = _nullable(colander.String())
