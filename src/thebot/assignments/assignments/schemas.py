"""Colander schemas of the assignments API requests: create/PATCH bodies, the list's query
string, and bodyless actions. Submissions, grades and extensions: ``submission_schemas``;
responses: ``assignment_responses``; field types: ``schema_fields``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import colander

from thebot.assignments.assignments.fields import choice, long_text, moment, score
from thebot.assignments.models import AssignmentStatus, AssignmentType
from thebot.assignments.submissions.late_policy import FIXED as FIXED_PENALTY
from thebot.assignments.submissions.late_policy import PER_DAY, PER_HOUR, PERCENTAGE
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, StrictMapping, boolean, integer, object_id, text

TYPES = tuple(t.value for t in AssignmentType)
STATUSES = tuple(s.value for s in AssignmentStatus)
PENALTY_TYPES = (PERCENTAGE, FIXED_PENALTY)
FREQUENCIES = (PER_DAY, PER_HOUR)
MAX_INSTRUCTIONS = 50_000
MAX_CRITERIA = 50
MAX_STUDENTS = 500


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
