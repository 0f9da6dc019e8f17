"""Response schemas of the assignments API, for the OpenAPI document (bodies are built by
the views and services: ``assignment_views``, ``submission_views``, ``stats``)."""

from __future__ import annotations

from typing import Any

import colander

from thebot.assignments.assignments.schemas import STATUSES, TYPES


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
    extension = ExtensionSchema(
        missing=colander.drop, nullable=True, description="Student viewers: theirs, or null"
    )
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
