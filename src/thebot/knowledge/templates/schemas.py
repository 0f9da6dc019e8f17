"""Schemas of templates: bodies, the list query, the template record, propagation."""

from __future__ import annotations

import colander

from thebot.knowledge.elements.content import JSONObject, plain
from thebot.knowledge.structure.schemas import DependencyItems, NodeItems
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, StrictMapping, object_id


class CreateTemplateBody(StrictMapping):
    title = plain(200)
    description = plain(5000, min_length=0, missing="")
    subject_id = object_id()


class CreateTemplateRequest(colander.MappingSchema):
    body = CreateTemplateBody()


class UpdateTemplateBody(StrictMapping):
    title = plain(200, missing=DROP)
    description = plain(5000, min_length=0, missing=DROP)


class UpdateTemplateRequest(colander.MappingSchema):
    body = UpdateTemplateBody()


class TemplatesQuery(StrictMapping, PaginationQuery):
    subject = object_id(missing=DROP)


class TemplatesListRequest(colander.MappingSchema):
    querystring = TemplatesQuery()


class ImportRequest(colander.MappingSchema):
    body = colander.SchemaNode(
        JSONObject(),
        description='an export document ({"format": "thebot.knowledge.template", "version": '
        '1, ...}) and "subject_id": the subject to import into',
    )


class TemplateSummary(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    title = colander.SchemaNode(colander.String())
    description = colander.SchemaNode(colander.String())
    subject_id = colander.SchemaNode(colander.Integer())
    author_id = colander.SchemaNode(colander.Integer(), missing=None)
    version = colander.SchemaNode(colander.Integer(), description="moves on each change")
    node_count = colander.SchemaNode(colander.Integer())
    created_at = colander.SchemaNode(colander.DateTime())
    updated_at = colander.SchemaNode(colander.DateTime())


class TemplateSchema(TemplateSummary):
    nodes = NodeItems()
    dependencies = DependencyItems()


class TemplateItems(colander.SequenceSchema):
    item = TemplateSummary()


class TemplatePage(colander.MappingSchema):
    items = TemplateItems()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)


class ExportSchema(colander.MappingSchema):
    format = colander.SchemaNode(
        colander.String(), validator=colander.OneOf(["thebot.knowledge.template"])
    )
    version = colander.SchemaNode(colander.Integer())
    template = colander.SchemaNode(JSONObject())
    elements = colander.SchemaNode(colander.List())
    lessons = colander.SchemaNode(colander.List())
    nodes = colander.SchemaNode(colander.List())
    dependencies = colander.SchemaNode(colander.List())


class Skipped(colander.SequenceSchema):
    item = colander.SchemaNode(JSONObject())


class PropagationSchema(colander.MappingSchema):
    template_version = colander.SchemaNode(colander.Integer())
    graphs = colander.SchemaNode(colander.Integer(), description="student graphs updated")
    nodes_added = colander.SchemaNode(colander.Integer())
    nodes_removed = colander.SchemaNode(colander.Integer())
    nodes_kept = colander.SchemaNode(
        colander.Integer(), description="removed from the template but started: kept"
    )
    dependencies_added = colander.SchemaNode(colander.Integer())
    dependencies_updated = colander.SchemaNode(colander.Integer())
    dependencies_removed = colander.SchemaNode(colander.Integer())
    skipped = Skipped(description="template edges that would close a cycle in a graph")
