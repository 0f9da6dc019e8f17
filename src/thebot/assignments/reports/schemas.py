"""Colander schemas of the progress-report API: bodies, query strings and responses.

There is deliberately no ``figures`` field in any request body: figures are computed by the
service, so a client sending them gets the 400 of an unknown field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import colander

from thebot.assignments.reports.service import MAX_PERIOD_DAYS, STATUSES, TYPES
from thebot.pagination import PaginationQuery
from thebot.schemas import StrictMapping, id_range

DROP = colander.drop
SUMMARY_MAX = 20000
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Far enough for any real report, and far from date.max (no overflow in date arithmetic).
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2999, 12, 31)


class ISODate(colander.SchemaType):
    """A calendar day ``YYYY-MM-DD`` (nothing else: no time, no offset)."""

    json_schema = {"type": "string", "format": "date"}  # read by thebot.openapi

    def serialize(self, node: Any, appstruct: Any) -> Any:
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return appstruct.isoformat()

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, str) or not DATE_RE.match(cstruct):
            raise colander.Invalid(node, "Expected a date YYYY-MM-DD")
        try:
            value = dt.date.fromisoformat(cstruct)
        except ValueError as exc:
            raise colander.Invalid(node, f"Invalid date: {exc}") from exc
        if not FIRST_DAY <= value <= LAST_DAY:
            raise colander.Invalid(node, f"Expected a date between {FIRST_DAY} and {LAST_DAY}")
        return value


class JSONBoolean(colander.SchemaType):
    """A JSON ``true``/``false``: strings and numbers are errors, not guesses."""

    json_schema = {"type": "boolean"}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return colander.null if appstruct is colander.null else bool(appstruct)

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, bool):
            raise colander.Invalid(node, "Expected true or false")
        return cstruct


class JSONString(colander.String):
    """A JSON string: ``null`` and numbers are errors."""

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is not colander.null and not isinstance(cstruct, str):
            raise colander.Invalid(node, "Expected a string")
        return super().deserialize(node, cstruct)


class JSONId(colander.Integer):
    """A positive object id: a JSON integer in the body, digits in a query string."""

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if isinstance(cstruct, (bool, float)):
            raise colander.Invalid(node, f"{cstruct!r} is not an id")
        if isinstance(cstruct, str) and not (cstruct.isascii() and cstruct.isdigit()):
            raise colander.Invalid(node, f"{cstruct!r} is not an id")
        return super().deserialize(node, cstruct)


def object_id(**kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(JSONId(), validator=id_range(), **kw)


def report_type(**kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(JSONString(), validator=colander.OneOf(TYPES), **kw)


def check_period(node: Any, value: dict[str, Any]) -> None:
    start, end = value.get("period_start"), value.get("period_end")
    if start is None or end is None:
        return
    error = colander.Invalid(node)
    if end < start:
        error["period_end"] = "Must be on or after period_start"
        raise error
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        error["period_end"] = f"At most {MAX_PERIOD_DAYS} days after period_start"
        raise error


# --- requests -----------------------------------------------------------------------------


class ReportsQuery(StrictMapping, PaginationQuery):
    student = object_id(missing=DROP, description="The student's user id")
    status = colander.SchemaNode(
        colander.String(), validator=colander.OneOf(STATUSES), missing=DROP
    )
    type = report_type(missing=DROP)


class ReportsListRequest(colander.MappingSchema):
    querystring = ReportsQuery()


class CreateReportBody(StrictMapping):
    # ``<name>_id`` like every reference in a request body (the list filter stays ?student=).
    student_id = object_id(description="The student's user id: one you teach")
    type = report_type(missing="progress")
    period_start = colander.SchemaNode(ISODate(), description="First day (UTC), YYYY-MM-DD")
    period_end = colander.SchemaNode(ISODate(), description="Last day (UTC), included")
    summary = colander.SchemaNode(
        JSONString(allow_empty=True), validator=colander.Length(0, SUMMARY_MAX), missing=""
    )
    show_to_parent = colander.SchemaNode(JSONBoolean(), missing=True)


class CreateReportRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = CreateReportBody(validator=check_period)


class UpdateReportBody(StrictMapping):
    """Any of the editable fields of a draft; a new period recomputes the figures."""

    type = report_type(missing=DROP)
    period_start = colander.SchemaNode(ISODate(), missing=DROP)
    period_end = colander.SchemaNode(ISODate(), missing=DROP)
    summary = colander.SchemaNode(
        JSONString(allow_empty=True), validator=colander.Length(0, SUMMARY_MAX), missing=DROP
    )
    show_to_parent = colander.SchemaNode(JSONBoolean(), missing=DROP)


class UpdateReportRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = UpdateReportBody(validator=check_period)


# --- responses (OpenAPI) ------------------------------------------------------------------


class BriefUser(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    username = colander.SchemaNode(colander.String())
    first_name = colander.SchemaNode(colander.String())
    last_name = colander.SchemaNode(colander.String())


class Figures(colander.MappingSchema):
    """Computed by the service for the period (definitions: report_figures)."""

    lessons_held = colander.SchemaNode(colander.Integer())
    lessons_cancelled = colander.SchemaNode(colander.Integer())
    assignments_submitted = colander.SchemaNode(colander.Integer())
    assignments_late = colander.SchemaNode(colander.Integer())
    assignments_graded = colander.SchemaNode(colander.Integer())
    average_score_percent = colander.SchemaNode(
        colander.Float(), missing=None, description="0-100, one decimal; null if none graded"
    )
    materials_completed = colander.SchemaNode(colander.Integer())
    computed_at = colander.SchemaNode(colander.DateTime())


class ReportSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    student = BriefUser()
    author = BriefUser()
    type = colander.SchemaNode(colander.String(), validator=colander.OneOf(TYPES))
    period_start = colander.SchemaNode(colander.Date())
    period_end = colander.SchemaNode(colander.Date())
    summary = colander.SchemaNode(colander.String())
    figures = Figures()
    show_to_parent = colander.SchemaNode(colander.Boolean())
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(STATUSES))
    is_weekly_draft = colander.SchemaNode(colander.Boolean())
    sent_at = colander.SchemaNode(colander.DateTime(), missing=None)
    read_at = colander.SchemaNode(colander.DateTime(), missing=None)
    read_by = BriefUser(missing=None, description="The parent who acknowledged it")
    created_at = colander.SchemaNode(colander.DateTime())
    updated_at = colander.SchemaNode(colander.DateTime())


class ReportList(colander.SequenceSchema):
    report = ReportSchema()


class ReportPage(colander.MappingSchema):
    items = ReportList()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
