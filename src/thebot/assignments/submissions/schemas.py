"""Colander schemas of the submissions API: submit, grade, return, and deadline extensions,
with the lists' query strings, and the responses (for the OpenAPI document)."""

from __future__ import annotations

import colander

from thebot.assignments.assignments.schemas import (
    ExtensionSchema,
    RubricScores,
    out_bool,
    out_int,
    out_str,
    page,
    score,
)
from thebot.assignments.submissions.service import STATUS_FILTERS
from thebot.pagination import PaginationQuery
from thebot.schemas import (
    DROP,
    Field,
    QueryBoolean,
    StrictMapping,
    Uploads,
    choice,
    long_text,
    moment,
    object_id,
)

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


# --- responses (OpenAPI) --------------------------------------------------------------------


ExtensionPage = page("ExtensionPage", ExtensionSchema)


class GradeSchema(colander.MappingSchema):
    raw_score = out_str()
    penalty = out_str()
    final_score = out_str(description="raw_score - penalty, never below 0")
    feedback = out_str()
    rubric_scores = colander.SchemaNode(colander.Mapping(unknown="preserve"))
    grader_id = out_int(missing=None)
    graded_at = out_str()


class FileSchema(colander.MappingSchema):
    id = out_int()
    url = out_str()
    content_type = out_str()
    size = out_int()
    original_name = out_str()
    sha256 = out_str()


class Files(colander.SequenceSchema):
    file = FileSchema()


class SubmissionSchema(colander.MappingSchema):
    id = out_int()
    assignment_id = out_int()
    student_id = out_int()
    attempt = out_int()
    text = out_str()
    status = out_str()
    submitted_at = out_str()
    is_late = out_bool()
    lateness_seconds = out_int()
    counts = out_bool(description="The version that is graded / counted")
    return_reason = out_str(description="Why it was returned (empty unless returned)")
    files = Files()
    grade = GradeSchema(missing=None)
    updated_at = out_str()


SubmissionPage = page("SubmissionPage", SubmissionSchema)


class AttemptStartSchema(colander.MappingSchema):
    attempt = colander.SchemaNode(colander.Integer())
    started_at = colander.SchemaNode(colander.DateTime())
    deadline = colander.SchemaNode(colander.DateTime())
