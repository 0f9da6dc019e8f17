"""Colander schemas of subjects, teacher assignments and enrollments: request bodies, query
strings and (for the OpenAPI document) responses. The bodies are built by the services
(``subjects``, ``teachers``, ``enrollments``)."""

from __future__ import annotations

import re
from typing import Any

import colander

from thebot.accounts.users.schemas import BriefUser
from thebot.api import MAX_ID
from thebot.catalog.models import EnrollmentStatus
from thebot.errors import APIProblem
from thebot.pagination import PaginationQuery, decode_cursor
from thebot.schemas import Field, StrictMapping, boolean, object_id, text

DROP = colander.drop
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOR = "#4a90d9"
ENROLLMENT_STATUSES = tuple(s.value for s in EnrollmentStatus)
MAX_DESCRIPTION = 5000


def cursor_node(*kinds: type) -> Any:
    """``cursor`` whose values must have these types (ids in range): a forged cursor is a
    400, never a database error."""

    def check(node: Any, value: str) -> None:
        try:
            values = decode_cursor(value, len(kinds))
        except APIProblem:
            raise colander.Invalid(node, "Invalid cursor") from None
        for item, kind in zip(values, kinds, strict=True):
            wrong = isinstance(item, bool) or not isinstance(item, kind)
            if wrong or (kind is int and not 0 < item <= MAX_ID):
                raise colander.Invalid(node, "Invalid cursor")

    return colander.SchemaNode(colander.String(), missing=None, validator=check)


def validate_color(node: Any, value: Any) -> None:
    if not COLOR_RE.match(value):
        raise colander.Invalid(node, "A colour as #RRGGBB, e.g. #4a90d9")


def color_node(**kw: Any) -> Any:
    return Field(colander.String(), validator=validate_color, **kw)


def status_node(**kw: Any) -> Any:
    return Field(
        colander.String(),
        validator=colander.OneOf(ENROLLMENT_STATUSES),
        description=" | ".join(ENROLLMENT_STATUSES),
        **kw,
    )


# --- subjects -----------------------------------------------------------------------------


class SubjectsQuery(StrictMapping, PaginationQuery):
    q = text(100, min_length=1, missing=DROP, description="part of the name")
    teacher = object_id(missing=DROP, description="subjects this user actively teaches")
    cursor = cursor_node(str, int)


class SubjectsListRequest(colander.MappingSchema):
    querystring = SubjectsQuery()


class CreateSubjectBody(StrictMapping):
    name = text(200, min_length=1)
    description = text(MAX_DESCRIPTION, missing="")
    color = color_node(missing=DEFAULT_COLOR)


class CreateSubjectRequest(colander.MappingSchema):
    body = CreateSubjectBody()


class UpdateSubjectBody(StrictMapping):
    name = text(200, min_length=1, missing=DROP)
    description = text(MAX_DESCRIPTION, missing=DROP)
    color = color_node(missing=DROP)


class UpdateSubjectRequest(colander.MappingSchema):
    body = UpdateSubjectBody()


# --- teacher assignments --------------------------------------------------------------


class TeachersQuery(StrictMapping, PaginationQuery):
    is_active = boolean(missing=True, description="default true; inactive ones: admins only")
    cursor = cursor_node(int)


class TeachersListRequest(colander.MappingSchema):
    querystring = TeachersQuery()


class AssignTeacherBody(StrictMapping):
    teacher_id = object_id()
    is_active = boolean(missing=True)


class AssignTeacherRequest(colander.MappingSchema):
    body = AssignTeacherBody()


# --- enrollments ----------------------------------------------------------------------


class EnrollmentsQuery(StrictMapping, PaginationQuery):
    student = object_id(missing=DROP)
    subject = object_id(missing=DROP)
    teacher = object_id(missing=DROP)
    status = status_node(missing=DROP)
    cursor = cursor_node(int)


class EnrollmentsListRequest(colander.MappingSchema):
    querystring = EnrollmentsQuery()


class CreateEnrollmentBody(StrictMapping):
    student_id = object_id()
    subject_id = object_id()
    teacher_id = object_id(missing=DROP, description="default: the caller, if they teach")
    custom_subject_name = text(200, nullable=True, missing=None)


class CreateEnrollmentRequest(colander.MappingSchema):
    body = CreateEnrollmentBody()


class UpdateEnrollmentBody(StrictMapping):
    status = status_node(missing=DROP)
    teacher_id = object_id(missing=DROP, description="admins and the student's tutor")
    custom_subject_name = text(200, nullable=True, missing=DROP)


class UpdateEnrollmentRequest(colander.MappingSchema):
    body = UpdateEnrollmentBody()


# --- responses (OpenAPI) ------------------------------------------------------------


def node(typ: Any, **kw: Any) -> Any:
    return colander.SchemaNode(typ, **kw)


class SubjectSchema(colander.MappingSchema):
    id = node(colander.Integer())
    name = node(colander.String())
    description = node(colander.String())
    color = node(colander.String())
    created_at = node(colander.DateTime())
    updated_at = node(colander.DateTime())


class SubjectList(colander.SequenceSchema):
    subject = SubjectSchema()


class SubjectPage(colander.MappingSchema):
    items = SubjectList()
    next_cursor = node(colander.String(), missing=None)


class SubjectBrief(colander.MappingSchema):
    id = node(colander.Integer())
    name = node(colander.String())
    color = node(colander.String())


class TeacherAssignmentSchema(colander.MappingSchema):
    id = node(colander.Integer())
    subject_id = node(colander.Integer())
    teacher = BriefUser()
    is_active = node(colander.Boolean())
    created_at = node(colander.DateTime())


class TeacherAssignmentList(colander.SequenceSchema):
    assignment = TeacherAssignmentSchema()


class TeacherAssignmentPage(colander.MappingSchema):
    items = TeacherAssignmentList()
    next_cursor = node(colander.String(), missing=None)


class EnrollmentSchema(colander.MappingSchema):
    id = node(colander.Integer())
    student = BriefUser()
    subject = SubjectBrief()
    subject_name = node(colander.String(), description="custom_subject_name or the subject's")
    custom_subject_name = node(colander.String(), missing=None)
    teacher = BriefUser()
    assigned_by = BriefUser(missing=None)
    status = node(colander.String(), validator=colander.OneOf(ENROLLMENT_STATUSES))
    created_at = node(colander.DateTime())
    updated_at = node(colander.DateTime())
    ended_at = node(colander.DateTime(), missing=None)


class EnrollmentList(colander.SequenceSchema):
    enrollment = EnrollmentSchema()


class EnrollmentPage(colander.MappingSchema):
    items = EnrollmentList()
    next_cursor = node(colander.String(), missing=None)
