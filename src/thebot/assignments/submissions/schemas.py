"""Colander schemas of the submissions API requests: submit, grade, return, and deadline
extensions, with the lists' query strings."""

from __future__ import annotations

import colander

from thebot.assignments.assignments.fields import RubricScores, choice, long_text, moment, score
from thebot.assignments.submissions.service import STATUS_FILTERS
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, Field, QueryBoolean, StrictMapping, Uploads, object_id

MAX_SUBMISSION_TEXT = 50_000
MAX_FEEDBACK = 10_000


# --- extensions -----------------------------------------------------------------------------


class ExtensionBody(StrictMapping):
    student_id = object_id()
    due_at = moment()
    late_deadline = moment(nullable=True, missing=None)
    reason = long_text(2000, missing="")


class ExtensionRequest(colander.MappingSchema):
    body = ExtensionBody()


class ExtensionsQuery(StrictMapping, PaginationQuery):
    student = object_id(missing=DROP)


class ExtensionsListRequest(colander.MappingSchema):
    querystring = ExtensionsQuery()


# --- submissions and grades -----------------------------------------------------------------


class SubmitBody(StrictMapping):
    """JSON ``{"text"}``, or multipart/form-data with ``text`` and up to 10 ``files``."""

    text = long_text(MAX_SUBMISSION_TEXT, missing="")
    files = colander.SchemaNode(Uploads(), missing=(), description="multipart only")


class SubmitRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = SubmitBody()


class SubmissionsQuery(StrictMapping, PaginationQuery):
    status = choice(STATUS_FILTERS, missing=DROP)
    student = object_id(missing=DROP)
    counts = colander.SchemaNode(QueryBoolean(), missing=DROP)


class SubmissionsListRequest(colander.MappingSchema):
    querystring = SubmissionsQuery()


class GradeBody(StrictMapping):
    score = score(missing=DROP)
    rubric_scores = Field(RubricScores(), missing=DROP)
    feedback = long_text(MAX_FEEDBACK, missing="")


class GradeRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = GradeBody()


class ReturnBody(StrictMapping):
    reason = long_text(MAX_FEEDBACK, missing="")


class ReturnRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = ReturnBody(missing=DROP)
