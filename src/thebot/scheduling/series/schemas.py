"""Colander schemas of the series API: request bodies, query strings and (for the OpenAPI
document) responses. Shape only: the RRULE is checked by ``series_rrule``, the booking
rules by ``rules``."""

from __future__ import annotations

from typing import Any

import colander

from thebot.pagination import PaginationQuery
from thebot.scheduling.lessons.schemas import (
    ConflictList,
    LessonList,
    datetime_node,
    link_node,
    node,
    timezone_node,
)
from thebot.scheduling.rrule import MAX_RULE_LENGTH
from thebot.scheduling.series.scopes import ALL, SCOPES
from thebot.schemas import (
    DROP,
    MAX_TEXT,
    ClockTime,
    Field,
    QueryBoolean,
    StrictMapping,
    boolean,
    integer,
    object_id,
    text,
)

MAX_DURATION = 24 * 60  # the booking rules narrow it (LESSON_MIN/MAX_MINUTES)
CHANGES = ("start", "start_time", "duration_minutes", "rrule", "description", "meeting_link")
RRULE_HELP = (
    "RFC 5545 RRULE: FREQ=WEEKLY, INTERVAL 1 or 2, optional BYDAY, and COUNT or UNTIL, e.g. "
    "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
)


def rrule_node(**kw: Any) -> Any:
    return text(MAX_RULE_LENGTH, min_length=1, description=RRULE_HELP, **kw)


def scope_node(**kw: Any) -> Any:
    return Field(
        colander.String(),
        validator=colander.OneOf(SCOPES),
        description="this (one occurrence) | following (it and later ones) | all (future)",
        **kw,
    )


# --- requests ----------------------------------------------------------------------------


class SeriesBody(StrictMapping):
    teacher_id = object_id(missing=DROP, description="teacher or tutor; default: the caller")
    student_id = object_id()
    subject_id = object_id()
    start = datetime_node(
        description="The first lesson (RFC 3339); its wall-clock time in timezone is kept"
    )
    timezone = timezone_node()
    duration_minutes = integer(1, MAX_DURATION)
    rrule = rrule_node()
    description = text(MAX_TEXT, missing="")
    meeting_link = link_node(missing=None)
    override_enrollment = boolean(
        missing=False, description="admins: book without an active enrollment (recorded)"
    )


class CreateSeriesQuery(StrictMapping):
    atomic = colander.SchemaNode(
        QueryBoolean(),
        missing=False,
        description="true: refuse the whole series (409) if any occurrence conflicts",
    )


class CreateSeriesRequest(colander.MappingSchema):
    body = SeriesBody()
    querystring = CreateSeriesQuery(missing={"atomic": False})


class UpdateSeriesBody(StrictMapping):
    scope = scope_node()
    lesson_id = object_id(missing=DROP, description="the occurrence (scope this, following)")
    start = datetime_node(missing=DROP, description="scope this: the occurrence's new start")
    start_time = Field(
        ClockTime(), missing=DROP, description='"HH:MM": the new local time (following, all)'
    )
    duration_minutes = integer(1, MAX_DURATION, missing=DROP)
    rrule = rrule_node(missing=DROP)
    description = text(MAX_TEXT, missing=DROP)
    meeting_link = link_node(missing=DROP)

    def validator(self, node: Any, value: dict[str, Any]) -> None:
        if not any(name in value for name in CHANGES):
            raise colander.Invalid(node, "Nothing to change: give one of " + ", ".join(CHANGES))


class UpdateSeriesRequest(colander.MappingSchema):
    body = UpdateSeriesBody()
    querystring = StrictMapping(missing=DROP)


class CancelSeriesQuery(StrictMapping):
    scope = scope_node(missing=ALL)
    lesson_id = object_id(missing=DROP, description="the occurrence (scope this, following)")
    reason = text(1000, missing="")


class CancelSeriesRequest(colander.MappingSchema):
    querystring = CancelSeriesQuery(missing={"scope": ALL, "reason": ""})


class SeriesListQuery(StrictMapping, PaginationQuery):
    teacher = object_id(missing=DROP)
    student = object_id(missing=DROP)
    subject = object_id(missing=DROP)
    active = colander.SchemaNode(
        QueryBoolean(), missing=DROP, description="only active (true) or cancelled (false)"
    )


class SeriesListRequest(colander.MappingSchema):
    querystring = SeriesListQuery()


# --- responses (OpenAPI) ------------------------------------------------------------------


class Exdates(colander.SequenceSchema):
    exdate = node(colander.String(), description="local wall-clock time of an exception")


class SeriesSchema(colander.MappingSchema):
    id = node(colander.Integer())
    teacher_id = node(colander.Integer())
    student_id = node(colander.Integer())
    subject_id = node(colander.Integer())
    rrule = node(colander.String())
    start = node(colander.DateTime(), description="the first occurrence, in the time zone")
    local_start = node(colander.String(), description="its local wall-clock time")
    last_start = node(colander.DateTime(), missing=None)
    timezone = node(colander.String())
    duration_minutes = node(colander.Integer())
    exdates = Exdates()
    description = node(colander.String())
    meeting_link = node(colander.String(), missing=None)
    is_active = node(colander.Boolean())
    created_by_id = node(colander.Integer(), missing=None)
    created_at = node(colander.DateTime())
    updated_at = node(colander.DateTime())


class SeriesList(colander.SequenceSchema):
    series = SeriesSchema()


class SeriesPage(colander.MappingSchema):
    items = SeriesList()
    next_cursor = node(colander.String(), missing=None)


class Skipped(colander.MappingSchema):
    local_start = node(colander.String())
    start = node(colander.DateTime())
    end = node(colander.DateTime())
    conflicts = ConflictList()


class SkippedList(colander.SequenceSchema):
    skipped = Skipped()


class Ids(colander.SequenceSchema):
    id = node(colander.Integer())


class SeriesDetail(SeriesSchema):
    lessons = LessonList()


class CreatedSeries(SeriesDetail):
    skipped = SkippedList(description="occurrences not booked: they overlap other lessons")


class ChangedSeries(SeriesDetail):
    changed_lessons = Ids()
    created_lessons = Ids()
    cancelled_lessons = Ids()
    kept_lessons = Ids(description="too close to their start to cancel: kept")
