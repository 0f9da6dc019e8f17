"""Schemas of elements: request bodies, the list query, and the element record."""

from __future__ import annotations

import colander

from thebot.knowledge.elements.content import JSONObject, plain
from thebot.knowledge.models import ElementType
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, StrictMapping, boolean, choice, integer, object_id

TYPES = tuple(t.value for t in ElementType)
CONTENT_HELP = (
    "by type: theory {markdown}; video {url (https), duration_seconds}; quick_question "
    "{question, choices, correct: [indices], explanation?} or {question, accepted_answers, "
    "explanation?}; text_problem {statement}"
)


class Tags(colander.SequenceSchema):
    item = plain(50)


def tags(**kw: object) -> Tags:
    return Tags(validator=colander.Length(0, 20), **kw)


class CreateElementBody(StrictMapping):
    type = choice(TYPES)
    title = plain(200)
    subject_id = object_id()
    content = colander.SchemaNode(JSONObject(), description=CONTENT_HELP)
    difficulty = integer(1, 10, missing=1)
    estimated_minutes = integer(0, 600, missing=5)
    max_score = integer(0, 1000, missing=1)
    max_attempts = integer(1, 100, missing=3)
    tags = tags(missing=())
    shared = boolean(missing=False)


class CreateElementRequest(colander.MappingSchema):
    body = CreateElementBody()


class UpdateElementBody(StrictMapping):
    """Any of the fields; ``type`` and ``subject_id`` stay (make a new element instead)."""

    title = plain(200, missing=DROP)
    content = colander.SchemaNode(JSONObject(), missing=DROP, description=CONTENT_HELP)
    difficulty = integer(1, 10, missing=DROP)
    estimated_minutes = integer(0, 600, missing=DROP)
    max_score = integer(0, 1000, missing=DROP)
    max_attempts = integer(1, 100, missing=DROP)
    tags = tags(missing=DROP)
    shared = boolean(missing=DROP)


class UpdateElementRequest(colander.MappingSchema):
    body = UpdateElementBody()


class ElementsQuery(StrictMapping, PaginationQuery):
    subject = object_id(missing=DROP)
    type = choice(TYPES, missing=DROP)
    tag = plain(50, missing=DROP)


class ElementsListRequest(colander.MappingSchema):
    querystring = ElementsQuery()


class TagsOut(colander.SequenceSchema):
    item = colander.SchemaNode(colander.String())


class ElementSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    type = colander.SchemaNode(colander.String(), validator=colander.OneOf(TYPES))
    title = colander.SchemaNode(colander.String())
    subject_id = colander.SchemaNode(colander.Integer())
    author_id = colander.SchemaNode(colander.Integer(), missing=None)
    content = colander.SchemaNode(JSONObject(), description=CONTENT_HELP)
    difficulty = colander.SchemaNode(colander.Integer())
    estimated_minutes = colander.SchemaNode(colander.Integer())
    max_score = colander.SchemaNode(colander.Integer())
    max_attempts = colander.SchemaNode(colander.Integer())
    tags = TagsOut()
    shared = colander.SchemaNode(colander.Boolean())
    created_at = colander.SchemaNode(colander.DateTime())
    updated_at = colander.SchemaNode(colander.DateTime())


class ElementItems(colander.SequenceSchema):
    item = ElementSchema()


class ElementPage(colander.MappingSchema):
    items = ElementItems()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
