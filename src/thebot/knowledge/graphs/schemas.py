"""Schemas of student graphs: the create body, the list query, the graph record."""

from __future__ import annotations

import colander

from thebot.knowledge.elements.content import plain
from thebot.knowledge.structure.schemas import DependencyItems, NodeItems
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, StrictMapping, object_id


class CreateGraphBody(StrictMapping):
    student_id = object_id()
    template_id = object_id(missing=DROP, description="copy this template's structure")
    subject_id = object_id(missing=DROP, description="or: an empty graph in this subject")
    title = plain(200, missing=DROP, description="default: the template's title")


class CreateGraphRequest(colander.MappingSchema):
    body = CreateGraphBody()


class GraphsQuery(StrictMapping, PaginationQuery):
    student = object_id(missing=DROP)
    subject = object_id(missing=DROP)
    template = object_id(missing=DROP)


class GraphsListRequest(colander.MappingSchema):
    querystring = GraphsQuery()


class GraphSummary(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    title = colander.SchemaNode(colander.String())
    student_id = colander.SchemaNode(colander.Integer())
    subject_id = colander.SchemaNode(colander.Integer())
    template_id = colander.SchemaNode(colander.Integer(), missing=None)
    version = colander.SchemaNode(
        colander.Integer(), description="the template version it last received"
    )
    author_id = colander.SchemaNode(colander.Integer(), missing=None)
    lesson_count = colander.SchemaNode(colander.Integer())
    completed_count = colander.SchemaNode(colander.Integer())
    created_at = colander.SchemaNode(colander.DateTime())
    updated_at = colander.SchemaNode(colander.DateTime())


class GraphSchema(GraphSummary):
    nodes = NodeItems()
    dependencies = DependencyItems()


class GraphItems(colander.SequenceSchema):
    item = GraphSummary()


class GraphPage(colander.MappingSchema):
    items = GraphItems()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
