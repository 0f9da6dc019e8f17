"""Colander schemas of the assignments API: create/PATCH bodies, the list's query string, the
score field types, and the responses (for the OpenAPI document; the bodies are built by the
services). Submissions, grades and extensions: ``thebot.assignments.submissions.schemas``.

Scores are decimals with at most two places: accepted as JSON numbers or strings
(``12``, ``12.5``, ``"12.50"``), sent back as strings with two places (``"12.50"``).
Each type describes itself for the OpenAPI document (``json_schema``, read by thebot.openapi).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import colander

from thebot.assignments.assignments.service import MAX_SCORE_LIMIT
from thebot.assignments.late_policy import CENT, PER_DAY, PER_HOUR, PERCENTAGE
from thebot.assignments.late_policy import FIXED as FIXED_PENALTY
from thebot.assignments.models import AssignmentStatus, AssignmentType
from thebot.pagination import PaginationQuery
from thebot.schemas import (
    DROP,
    Field,
    StrictMapping,
    boolean,
    choice,
    integer,
    long_text,
    moment,
    object_id,
    text,
)

TYPES = tuple(t.value for t in AssignmentType)
STATUSES = tuple(s.value for s in AssignmentStatus)
PENALTY_TYPES = (PERCENTAGE, FIXED_PENALTY)
FREQUENCIES = (PER_DAY, PER_HOUR)
MAX_INSTRUCTIONS = 50_000
MAX_CRITERIA = 50
MAX_STUDENTS = 500


# --- field types ----------------------------------------------------------------------------


class Score(colander.SchemaType):
    """A decimal with at most two places, from a JSON number or string."""

    json_schema = {"type": ["string", "number"], "format": "decimal"}

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


class RubricScores(colander.SchemaType):
    """``{"<criterion id>": points, ...}`` with points as for ``Score``."""

    json_schema = {
        "type": "object",
        "propertyNames": {"pattern": "^[0-9]+$"},
        "additionalProperties": Score.json_schema,
    }

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


# --- requests -------------------------------------------------------------------------------


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


# --- responses (OpenAPI) --------------------------------------------------------------------


def out_str(**kw: Any) -> Any:
    """A string member of a response."""
    return colander.SchemaNode(colander.String(), **kw)


def out_int(**kw: Any) -> Any:
    return colander.SchemaNode(colander.Integer(), **kw)


def out_bool(**kw: Any) -> Any:
    return colander.SchemaNode(colander.Boolean(), **kw)


class CriterionSchema(colander.MappingSchema):
    id = out_int()
    position = out_int()
    name = out_str()
    description = out_str()
    max_points = out_str(description="Decimal string")


class CriteriaSchema(colander.SequenceSchema):
    criterion = CriterionSchema()


class IdsSchema(colander.SequenceSchema):
    id = out_int()


class ExtensionSchema(colander.MappingSchema):
    assignment_id = out_int()
    student_id = out_int()
    due_at = out_str()
    late_deadline = out_str(missing=None)
    reason = out_str()
    granted_by_id = out_int(missing=None)
    created_at = out_str()


class AssignmentSchema(colander.MappingSchema):
    id = out_int()
    title = out_str()
    instructions = out_str()
    subject_id = out_int()
    author_id = out_int()
    type = out_str(validator=colander.OneOf(TYPES))
    status = out_str(validator=colander.OneOf(STATUSES))
    max_score = out_str(description="Decimal string, e.g. 100.00")
    start_at = out_str(missing=None)
    due_at = out_str()
    attempts_limit = out_int()
    time_limit_minutes = out_int(missing=None, description="Shown to students; not enforced")
    assign_to_subject = out_bool()
    allow_late = out_bool()
    late_deadline = out_str(missing=None)
    penalty_type = out_str(missing=None)
    penalty_value = out_str()
    penalty_frequency = out_str(missing=None)
    max_penalty = out_str(missing=None, description="Same unit as penalty_value")
    rubric = CriteriaSchema()
    student_ids = IdsSchema(missing=colander.drop, description="Staff only")
    extension = ExtensionSchema(
        missing=colander.drop, nullable=True, description="Student viewers: theirs, or null"
    )
    published_at = out_str(missing=None)
    closed_at = out_str(missing=None)
    cloned_from_id = out_int(missing=None)
    created_at = out_str()
    updated_at = out_str()


def page(name: str, item: type[colander.SchemaNode]) -> Any:
    """``{"items": [...], "next_cursor"}`` of ``item``s."""
    items = type(f"{name}Items", (colander.SequenceSchema,), {"item": item()})
    return type(
        name, (colander.MappingSchema,), {"items": items(), "next_cursor": out_str(missing=None)}
    )


AssignmentPage = page("AssignmentPage", AssignmentSchema)


class StatsSchema(colander.MappingSchema):
    assignment_id = out_int()
    max_score = out_str()
    assigned = out_int()
    submitted = out_int()
    not_submitted = out_int()
    late = out_int()
    graded = out_int()
    returned = out_int()
    mean_score = out_str(missing=None)
    mean_raw_score = out_str(missing=None)
    median_score = out_str(missing=None)
