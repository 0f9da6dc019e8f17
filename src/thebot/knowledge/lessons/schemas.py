"""Schemas of lessons: request bodies, the list query, and the lesson record."""

from __future__ import annotations

import colander

from thebot.knowledge.elements.content import plain
from thebot.knowledge.elements.schemas import TYPES
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, StrictMapping, boolean, object_id

MAX_ELEMENTS = 200


class PlacedElement(StrictMapping):
    element_id = object_id()
    required = boolean(missing=True)


class PlacedElements(colander.SequenceSchema):
    item = PlacedElement()


def placed(**kw: object) -> PlacedElements:
    return PlacedElements(
        validator=colander.Length(0, MAX_ELEMENTS),
        description="ordered; optional elements never count toward completion",
        **kw,
    )


class CreateLessonBody(StrictMapping):
    title = plain(200)
    description = plain(5000, min_length=0, missing="")
    subject_id = object_id()
    shared = boolean(missing=True)
    elements = placed(missing=())


class CreateLessonRequest(colander.MappingSchema):
    body = CreateLessonBody()


class UpdateLessonBody(StrictMapping):
    """Any of the fields; ``elements`` replaces the whole list."""

    title = plain(200, missing=DROP)
    description = plain(5000, min_length=0, missing=DROP)
    shared = boolean(missing=DROP)
    elements = placed(missing=DROP)


class UpdateLessonRequest(colander.MappingSchema):
    body = UpdateLessonBody()


class LessonsQuery(StrictMapping, PaginationQuery):
    subject = object_id(missing=DROP)


class LessonsListRequest(colander.MappingSchema):
    querystring = LessonsQuery()


class LessonElementSchema(colander.MappingSchema):
    element_id = colander.SchemaNode(colander.Integer())
    required = colander.SchemaNode(colander.Boolean())
    title = colander.SchemaNode(colander.String())
    type = colander.SchemaNode(colander.String(), validator=colander.OneOf(TYPES))
    max_score = colander.SchemaNode(colander.Integer())


class LessonElementItems(colander.SequenceSchema):
    item = LessonElementSchema()


class TotalsSchema(colander.MappingSchema):
    element_count = colander.SchemaNode(colander.Integer())
    required_count = colander.SchemaNode(colander.Integer())
    estimated_minutes = colander.SchemaNode(colander.Integer(), description="every element")
    max_score = colander.SchemaNode(colander.Integer(), description="required elements")


class LessonSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    title = colander.SchemaNode(colander.String())
    description = colander.SchemaNode(colander.String())
    subject_id = colander.SchemaNode(colander.Integer())
    author_id = colander.SchemaNode(colander.Integer(), missing=None)
    shared = colander.SchemaNode(colander.Boolean())
    elements = LessonElementItems()
    totals = TotalsSchema()
    created_at = colander.SchemaNode(colander.DateTime())
    updated_at = colander.SchemaNode(colander.DateTime())


class LessonItems(colander.SequenceSchema):
    item = LessonSchema()


class LessonPage(colander.MappingSchema):
    items = LessonItems()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
