"""Colander schemas of the progress API: the report a student sends, the list's query
string, and the progress row (responses, for the OpenAPI document)."""

from __future__ import annotations

import colander

from thebot.accounts.users.schemas import BriefUser
from thebot.materials.schemas import body_integer, node, nullable
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, MAX_INT, MIN_INT, StrictMapping, object_id

MAX_TIME_DELTA = 24 * 3600  # seconds one progress report may add


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


class ProgressSchema(colander.MappingSchema):
    material_id = node(colander.Integer())
    student = BriefUser()
    percentage = node(colander.Integer())
    is_completed = node(colander.Boolean())
    completed_at = nullable(colander.DateTime())
    time_spent_seconds = node(colander.Integer())
    last_accessed_at = node(colander.DateTime())
    created_at = node(colander.DateTime())


class ProgressList(colander.SequenceSchema):
    progress = ProgressSchema()


class ProgressPage(colander.MappingSchema):
    items = ProgressList()
    next_cursor = nullable(colander.String())
