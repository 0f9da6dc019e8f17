"""Colander schemas of the comments API: a new comment, moderation, the list's query string,
and comments and threads (responses, for the OpenAPI document)."""

from __future__ import annotations

import colander

from thebot.accounts.users.schemas import BriefUser
from thebot.materials.schemas import body_id, node, nullable
from thebot.pagination import PaginationQuery
from thebot.schemas import StrictMapping, boolean, text

MAX_COMMENT = 5000


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


class _CommentFields(colander.MappingSchema):
    id = node(colander.Integer())
    material_id = node(colander.Integer())
    parent_id = nullable(colander.Integer())
    depth = node(colander.Integer())
    author = BriefUser(missing=None, description="null once deleted")
    body = nullable(colander.String(), description="null when deleted or hidden by a moderator")
    is_deleted = node(colander.Boolean())
    is_flagged = node(colander.Boolean())
    created_at = node(colander.DateTime())
    updated_at = node(colander.DateTime())


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
    next_cursor = nullable(colander.String())
