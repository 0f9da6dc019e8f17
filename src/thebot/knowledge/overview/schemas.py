"""Schemas of the class overview."""

from __future__ import annotations

import colander

from thebot.knowledge.models import LessonState
from thebot.pagination import MAX_LIMIT, PaginationQuery
from thebot.schemas import DROP, StrictMapping, object_id

# A page is a class: 25 students x every lesson of the template (5,000 cells for 200
# lessons) unless ``limit`` asks for more (up to the usual maximum).
DEFAULT_LIMIT = 25


class OverviewQuery(StrictMapping, PaginationQuery):
    limit = colander.SchemaNode(
        colander.Integer(),
        validator=colander.Range(1, MAX_LIMIT),
        missing=DEFAULT_LIMIT,
        description=f"students per page (default {DEFAULT_LIMIT}, max {MAX_LIMIT})",
    )
    student = object_id(missing=DROP)


class OverviewRequest(colander.MappingSchema):
    querystring = OverviewQuery()


class CsvQuery(StrictMapping):
    student = object_id(missing=DROP)


class OverviewCsvRequest(colander.MappingSchema):
    querystring = CsvQuery(missing=DROP)


def _int() -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer())


def _str() -> colander.SchemaNode:
    return colander.SchemaNode(colander.String())


class TemplateOut(colander.MappingSchema):
    id = _int()
    title = _str()
    subject_id = _int()


class Column(colander.MappingSchema):
    node_id = _int()
    lesson_id = _int()
    title = _str()
    max_score = _int()


class Columns(colander.SequenceSchema):
    item = Column()


STATES = tuple(s.value for s in LessonState)


class States(colander.SequenceSchema):
    item = colander.SchemaNode(
        colander.String(),
        validator=colander.OneOf((*STATES, None)),
        missing=None,
        description="null: the student's graph lacks this lesson",
    )


class Scores(colander.SequenceSchema):
    item = colander.SchemaNode(colander.Integer(), missing=None)


class Student(colander.MappingSchema):
    id = _int()
    name = _str()


class Row(colander.MappingSchema):
    graph_id = _int()
    student = Student()
    completed = _int()
    score = _int()
    max_score = _int()
    states = States(description="one per lesson, in the order of lessons")
    scores = Scores(description="one per lesson, in the order of lessons")


class Rows(colander.SequenceSchema):
    item = Row()


class OverviewPage(colander.MappingSchema):
    template = TemplateOut()
    lessons = Columns()
    items = Rows()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
