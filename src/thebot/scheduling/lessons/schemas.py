"""Colander schemas of the lessons API: request bodies, query strings and (for the OpenAPI
document) responses. Shape only; the booking rules are in ``rules``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import colander

from thebot.accounts.users.schemas import BriefUser
from thebot.pagination import PaginationQuery
from thebot.scheduling.models import LessonStatus
from thebot.schemas import (
    DROP,
    MAX_TEXT,
    RFC3339_EXAMPLE,
    Field,
    RFC3339DateTime,
    StrictMapping,
    TimezoneName,
    boolean,
    no_nul,
    object_id,
    text,
)

STATUSES = tuple(s.value for s in LessonStatus)
MAX_LINK = 500
# Far beyond any booking; keeps arithmetic on the values (offsets, notice) from overflowing.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.timezone.utc)


def validate_range(node: Any, value: dt.datetime) -> None:
    if not EARLIEST <= value < LATEST:
        raise colander.Invalid(node, "Out of range: between 1970 and 2200")


def datetime_node(**kw: Any) -> Any:
    kw.setdefault("description", f"RFC 3339 with an offset, e.g. {RFC3339_EXAMPLE}")
    return Field(RFC3339DateTime(), validator=validate_range, **kw)


def timezone_node(**kw: Any) -> Any:
    kw.setdefault("description", "IANA time zone of the lesson, e.g. Europe/Moscow")
    return Field(TimezoneName(), **kw)


def link_node(**kw: Any) -> Any:
    return Field(
        colander.String(allow_empty=True),
        validator=colander.All(colander.Length(0, MAX_LINK), no_nul),
        nullable=True,
        description="https link on an allowed host (MEETING_LINK_HOSTS); null or empty: none",
        **kw,
    )


def status_node(**kw: Any) -> Any:
    return Field(
        colander.String(),
        validator=colander.OneOf(STATUSES),
        description=" | ".join(STATUSES),
        **kw,
    )


# --- requests ----------------------------------------------------------------------------


class LessonBody(StrictMapping):
    """A lesson to book (also the body of ``check-conflicts/``)."""

    teacher_id = object_id(missing=DROP, description="teacher or tutor; default: the caller")
    student_id = object_id()
    subject_id = object_id()
    start = datetime_node()
    end = datetime_node()
    timezone = timezone_node()
    description = text(MAX_TEXT, missing="")
    notes = text(MAX_TEXT, missing="", description="private: teacher, tutor and admins")
    meeting_link = link_node(missing=None)
    override_enrollment = boolean(
        missing=False, description="admins: book without an active enrollment (recorded)"
    )


class CreateLessonRequest(colander.MappingSchema):
    body = LessonBody()


class UpdateLessonBody(StrictMapping):
    """Times move with ``reschedule/``; the status with the state-machine actions."""

    description = text(MAX_TEXT, missing=DROP)
    notes = text(MAX_TEXT, missing=DROP)
    meeting_link = link_node(missing=DROP)


class UpdateLessonRequest(colander.MappingSchema):
    body = UpdateLessonBody()


class RescheduleBody(StrictMapping):
    start = datetime_node()
    end = datetime_node()
    timezone = timezone_node(missing=DROP)


class RescheduleRequest(colander.MappingSchema):
    body = RescheduleBody()


class CancelBody(StrictMapping):
    reason = text(1000, missing="")


class CancelRequest(colander.MappingSchema):
    body = CancelBody(missing={"reason": ""})


class ActionRequest(colander.MappingSchema):
    """Confirm, complete, the calendar token: no parameters (an empty JSON object is
    accepted; an unknown query parameter is a 400, which ``thebot.schemas.EmptyRequest``
    does not check)."""

    body = StrictMapping(missing=DROP)
    querystring = StrictMapping(missing=DROP)


class LessonsQuery(StrictMapping, PaginationQuery):
    from_ = datetime_node(name="from", missing=DROP, description="lessons ending after this")
    to = datetime_node(missing=DROP, description="lessons starting before this")
    student = object_id(missing=DROP)
    teacher = object_id(missing=DROP)
    subject = object_id(missing=DROP)
    status = status_node(missing=DROP)

    def validator(self, node: Any, value: dict[str, Any]) -> None:
        if "from" in value and "to" in value and value["from"] >= value["to"]:
            error = colander.Invalid(node)
            error["to"] = "Must be after from"
            raise error


class LessonsListRequest(colander.MappingSchema):
    querystring = LessonsQuery()


class PageQuery(StrictMapping, PaginationQuery):
    pass


class HistoryRequest(colander.MappingSchema):
    querystring = PageQuery()


# --- responses (OpenAPI) ------------------------------------------------------------------


def node(typ: Any, **kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(typ, **kw)


class SubjectBrief(colander.MappingSchema):
    id = node(colander.Integer())
    name = node(colander.String())
    color = node(colander.String())


class LessonSchema(colander.MappingSchema):
    id = node(colander.Integer())
    teacher_id = node(colander.Integer())
    student_id = node(colander.Integer())
    subject_id = node(colander.Integer())
    teacher = BriefUser()
    student = BriefUser()
    subject = SubjectBrief()
    start = node(colander.DateTime(), description="in the lesson's time zone")
    end = node(colander.DateTime())
    duration_minutes = node(colander.Integer())
    timezone = node(colander.String())
    description = node(colander.String())
    notes = node(colander.String(), missing=DROP, description="teacher, tutor, admins only")
    meeting_link = node(colander.String(), missing=None)
    status = node(colander.String(), validator=colander.OneOf(STATUSES))
    series_id = node(colander.Integer(), missing=None)
    occurrence_start = node(colander.DateTime(), missing=None)
    enrollment_override = node(colander.Boolean())
    sequence = node(colander.Integer(), description="iCalendar SEQUENCE")
    cancel_reason = node(colander.String())
    created_by_id = node(colander.Integer(), missing=None)
    created_at = node(colander.DateTime())
    updated_at = node(colander.DateTime())


class LessonList(colander.SequenceSchema):
    lesson = LessonSchema()


class LessonPage(colander.MappingSchema):
    items = LessonList()
    next_cursor = node(colander.String(), missing=None)


class ConflictSchema(colander.MappingSchema):
    id = node(colander.Integer())
    teacher_id = node(colander.Integer())
    student_id = node(colander.Integer())
    start = node(colander.DateTime())
    end = node(colander.DateTime())
    status = node(colander.String())


class ConflictList(colander.SequenceSchema):
    conflict = ConflictSchema()


class ConflictsSchema(colander.MappingSchema):
    conflicts = ConflictList()


class Values(colander.MappingSchema):
    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")


class HistorySchema(colander.MappingSchema):
    id = node(colander.Integer())
    action = node(colander.String(), description="created, updated, rescheduled or a status")
    actor_id = node(colander.Integer(), missing=None, description="null: the system")
    actor = BriefUser(missing=None)
    old_values = Values()
    new_values = Values()
    created_at = node(colander.DateTime())


class HistoryList(colander.SequenceSchema):
    entry = HistorySchema()


class HistoryPage(colander.MappingSchema):
    items = HistoryList()
    next_cursor = node(colander.String(), missing=None)
