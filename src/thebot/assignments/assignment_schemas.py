"""Colander schemas of the assignments API: request bodies, query strings and responses.

Scores are decimals with at most two places: accepted as JSON numbers or strings
(``12``, ``12.5``, ``"12.50"``), sent back as strings with two places (``"12.50"``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import colander
from cornice_swagger import CorniceSwagger
from cornice_swagger.converters.schema import StringTypeConverter, TypeConverter

from thebot.accounts.schemas import DROP, Field, boolean, integer, object_id, text
from thebot.api import StrictMapping
from thebot.assignments.assignments import MAX_SCORE_LIMIT
from thebot.assignments.late_policy import CENT, PER_DAY, PER_HOUR, PERCENTAGE
from thebot.assignments.late_policy import FIXED as FIXED_PENALTY
from thebot.assignments.models import AssignmentStatus, AssignmentType
from thebot.assignments.submissions import STATUS_FILTERS
from thebot.pagination import PaginationQuery
from thebot.schema_types import QueryBoolean, RFC3339DateTime, Uploads

TYPES = tuple(t.value for t in AssignmentType)
STATUSES = tuple(s.value for s in AssignmentStatus)
PENALTY_TYPES = (PERCENTAGE, FIXED_PENALTY)
FREQUENCIES = (PER_DAY, PER_HOUR)
MAX_INSTRUCTIONS = 50_000
MAX_SUBMISSION_TEXT = 50_000
MAX_FEEDBACK = 10_000
MAX_CRITERIA = 50
MAX_STUDENTS = 500


class Score(colander.SchemaType):
    """A decimal with at most two places, from a JSON number or string."""

    def serialize(self, node: Any, appstruct: Any) -> Any:
        if appstruct is colander.null or appstruct is None:
            return appstruct
        return str(Decimal(appstruct).quantize(CENT))

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, bool) or not isinstance(cstruct, (int, float, str)):
            raise colander.Invalid(node, 'Expected a number or a decimal string like "12.50"')
        try:
            value = Decimal(str(cstruct).strip())
        except InvalidOperation:
            raise colander.Invalid(node, f"{cstruct!r} is not a number") from None
        if not value.is_finite():
            raise colander.Invalid(node, "Must be a finite number")
        if abs(value) > MAX_SCORE_LIMIT:
            raise colander.Invalid(node, f"At most {MAX_SCORE_LIMIT}")
        if value != value.quantize(CENT):
            raise colander.Invalid(node, "At most two decimal places")
        return value.quantize(CENT)


def score(*, positive: bool = False, **kw: Any) -> Any:
    """A score node: at least 0 (``positive``: more than 0)."""

    def check(node: Any, value: Any) -> None:
        if value is not None and (value < 0 or (positive and value == 0)):
            raise colander.Invalid(node, "Must be greater than 0" if positive else "Must be >= 0")

    return Field(Score(), validator=check, **kw)


def choice(choices: tuple[str, ...], **kw: Any) -> Any:
    return Field(colander.String(), validator=colander.OneOf(choices), **kw)


class PlainText(colander.String):
    """Only a string: a number, or a file part in a multipart body, is a 400 (colander's
    ``String`` would stringify the one and crash on the other)."""

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is not colander.null and not isinstance(cstruct, str):
            raise colander.Invalid(node, "Expected text")
        return super().deserialize(node, cstruct)


def long_text(max_length: int, **kw: Any) -> Any:
    """Free text kept as written (markdown: leading spaces matter)."""
    return Field(
        PlainText(allow_empty=True),
        validator=colander.Length(0, max_length),
        strip=False,
        **kw,
    )


def moment(**kw: Any) -> Any:
    return Field(RFC3339DateTime(), **kw)


class RubricScores(colander.SchemaType):
    """``{"<criterion id>": points, ...}`` with points as for ``Score``."""

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, "Expected an object: {criterion id: points}")
        result: dict[int, Decimal] = {}
        problems: dict[str, str] = {}
        for key, raw in cstruct.items():
            text_key = str(key)
            if not text_key.isascii() or not text_key.isdigit() or len(text_key) > 18:
                problems[text_key] = "Not a criterion id"
                continue
            try:
                result[int(text_key)] = Score().deserialize(node, raw)
            except colander.Invalid as exc:
                problems[text_key] = exc.msg
        if problems:
            error = colander.Invalid(node, "Invalid rubric points")
            for key, message in problems.items():
                error.add(
                    colander.Invalid(colander.SchemaNode(colander.String(), name=key), message)
                )
            raise error
        return result


class ObjectConverter(TypeConverter):
    type = "object"


class ScoreConverter(StringTypeConverter):
    """Scores are decimal strings in the document too (a ``Decimal`` default is not JSON)."""

    def convert_type(self, schema_node: Any) -> dict[str, Any]:
        converted = super().convert_type(schema_node)
        if isinstance(converted.get("default"), Decimal):
            converted["default"] = str(converted["default"].quantize(CENT))
        converted["format"] = "decimal"
        return converted


CorniceSwagger.custom_type_converters.update(
    {
        PlainText: StringTypeConverter,
        Score: ScoreConverter,
        RubricScores: ObjectConverter,
    }
)


# --- assignments ----------------------------------------------------------------------------


class Criterion(StrictMapping):
    name = text(200, min_length=1)
    description = long_text(5000, missing="")
    max_points = score(positive=True)


class Rubric(colander.SequenceSchema):
    criterion = Criterion()
    validator = colander.Length(0, MAX_CRITERIA, max_err=f"At most {MAX_CRITERIA} criteria")


class StudentIds(colander.SequenceSchema):
    student_id = object_id()
    validator = colander.Length(0, MAX_STUDENTS, max_err=f"At most {MAX_STUDENTS} students")


def assignment_fields(optional: bool) -> dict[str, Any]:
    """The fields of a create body (defaults) or of a PATCH body (all optional)."""

    def default(value: Any) -> Any:
        return DROP if optional else value

    required = DROP if optional else colander.required
    return {
        "title": text(255, min_length=1, missing=required),
        "instructions": long_text(MAX_INSTRUCTIONS, missing=default("")),
        "subject_id": object_id(missing=required),
        "type": choice(TYPES, missing=default("homework")),
        "max_score": score(positive=True, missing=default(Decimal(100))),
        "start_at": moment(nullable=True, missing=default(None)),
        "due_at": moment(missing=required),
        "attempts_limit": integer(1, 100, missing=default(1)),
        "time_limit_minutes": integer(1, 10_080, nullable=True, missing=default(None)),
        "assign_to_subject": boolean(missing=default(False)),
        "student_ids": StudentIds(missing=default([])),
        "allow_late": boolean(missing=default(False)),
        "late_deadline": moment(nullable=True, missing=default(None)),
        "penalty_type": choice(PENALTY_TYPES, nullable=True, missing=default(None)),
        "penalty_value": score(missing=default(Decimal(0))),
        "penalty_frequency": choice(FREQUENCIES, nullable=True, missing=default(None)),
        "max_penalty": score(nullable=True, missing=default(None)),
        "rubric": Rubric(missing=default([])),
    }


# One list of fields, two bodies: create (defaults) and PATCH (every field optional).
CreateAssignmentBody = type("CreateAssignmentBody", (StrictMapping,), assignment_fields(False))
UpdateAssignmentBody = type("UpdateAssignmentBody", (StrictMapping,), assignment_fields(True))


class CreateAssignmentRequest(colander.MappingSchema):
    body = CreateAssignmentBody()


class UpdateAssignmentRequest(colander.MappingSchema):
    body = UpdateAssignmentBody()


class AssignmentsQuery(StrictMapping, PaginationQuery):
    subject = object_id(missing=DROP)
    status = choice(STATUSES, missing=DROP)
    author = object_id(missing=DROP)


class AssignmentsListRequest(colander.MappingSchema):
    querystring = AssignmentsQuery()


class EmptyBodyRequest(colander.MappingSchema):
    """Actions without parameters: any body field or query parameter is rejected."""

    querystring = StrictMapping(missing=DROP)
    body = StrictMapping(missing=DROP)


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


# --- responses (the OpenAPI document) -------------------------------------------------------


def _s(**kw: Any) -> Any:
    return colander.SchemaNode(colander.String(), **kw)


def _i(**kw: Any) -> Any:
    return colander.SchemaNode(colander.Integer(), **kw)


def _b(**kw: Any) -> Any:
    return colander.SchemaNode(colander.Boolean(), **kw)


class CriterionSchema(colander.MappingSchema):
    id = _i()
    position = _i()
    name = _s()
    description = _s()
    max_points = _s(description="Decimal string")


class CriteriaSchema(colander.SequenceSchema):
    criterion = CriterionSchema()


class IdsSchema(colander.SequenceSchema):
    id = _i()


class ExtensionSchema(colander.MappingSchema):
    assignment_id = _i()
    student_id = _i()
    due_at = _s()
    late_deadline = _s(missing=None)
    reason = _s()
    granted_by_id = _i(missing=None)
    created_at = _s()


class AssignmentSchema(colander.MappingSchema):
    id = _i()
    title = _s()
    instructions = _s()
    subject_id = _i()
    author_id = _i()
    type = _s(validator=colander.OneOf(TYPES))
    status = _s(validator=colander.OneOf(STATUSES))
    max_score = _s(description="Decimal string, e.g. 100.00")
    start_at = _s(missing=None)
    due_at = _s()
    attempts_limit = _i()
    time_limit_minutes = _i(missing=None, description="Shown to students; not enforced")
    assign_to_subject = _b()
    allow_late = _b()
    late_deadline = _s(missing=None)
    penalty_type = _s(missing=None)
    penalty_value = _s()
    penalty_frequency = _s(missing=None)
    max_penalty = _s(missing=None, description="Same unit as penalty_value")
    rubric = CriteriaSchema()
    student_ids = IdsSchema(missing=colander.drop, description="Staff only")
    extension = ExtensionSchema(missing=colander.drop, description="Student viewers: theirs")
    published_at = _s(missing=None)
    closed_at = _s(missing=None)
    cloned_from_id = _i(missing=None)
    created_at = _s()
    updated_at = _s()


def page(name: str, item: type[colander.SchemaNode]) -> Any:
    """``{"items": [...], "next_cursor"}`` of ``item``s."""
    items = type(f"{name}Items", (colander.SequenceSchema,), {"item": item()})
    return type(
        name, (colander.MappingSchema,), {"items": items(), "next_cursor": _s(missing=None)}
    )


AssignmentPage = page("AssignmentPage", AssignmentSchema)


ExtensionPage = page("ExtensionPage", ExtensionSchema)


class GradeSchema(colander.MappingSchema):
    raw_score = _s()
    penalty = _s()
    final_score = _s(description="raw_score - penalty, never below 0")
    feedback = _s()
    rubric_scores = colander.SchemaNode(colander.Mapping(unknown="preserve"))
    grader_id = _i(missing=None)
    graded_at = _s()


class FileSchema(colander.MappingSchema):
    id = _i()
    url = _s()
    content_type = _s()
    size = _i()
    original_name = _s()
    sha256 = _s()


class Files(colander.SequenceSchema):
    file = FileSchema()


class SubmissionSchema(colander.MappingSchema):
    id = _i()
    assignment_id = _i()
    student_id = _i()
    attempt = _i()
    text = _s()
    status = _s()
    submitted_at = _s()
    is_late = _b()
    lateness_seconds = _i()
    counts = _b(description="The version that is graded / counted")
    return_reason = _s(description="Why it was returned (empty unless returned)")
    files = Files()
    grade = GradeSchema(missing=None)
    updated_at = _s()


SubmissionPage = page("SubmissionPage", SubmissionSchema)


class StatsSchema(colander.MappingSchema):
    assignment_id = _i()
    max_score = _s()
    assigned = _i()
    submitted = _i()
    not_submitted = _i()
    late = _i()
    graded = _i()
    returned = _i()
    mean_score = _s(missing=None)
    mean_raw_score = _s(missing=None)
    median_score = _s(missing=None)
