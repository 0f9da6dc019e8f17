"""Schemas of nodes and dependencies (templates and student graphs alike)."""

from __future__ import annotations

import colander

from thebot.knowledge.lessons.schemas import TotalsSchema
from thebot.knowledge.models import DependencyType, LessonState
from thebot.schemas import DROP, StrictMapping, choice, integer, object_id

DEPENDENCY_TYPES = tuple(t.value for t in DependencyType)
STATES = tuple(s.value for s in LessonState)
COORDINATE = 1_000_000


def coordinate(**kw: object) -> colander.SchemaNode:
    return integer(-COORDINATE, COORDINATE, **kw)


class AddNodeBody(StrictMapping):
    lesson_id = object_id()
    x = coordinate(missing=0)
    y = coordinate(missing=0)


class AddNodeRequest(colander.MappingSchema):
    body = AddNodeBody()


class MoveNodeBody(StrictMapping):
    x = coordinate(missing=DROP)
    y = coordinate(missing=DROP)


class MoveNodeRequest(colander.MappingSchema):
    body = MoveNodeBody()


def dependency_type(**kw: object) -> colander.SchemaNode:
    return choice(
        DEPENDENCY_TYPES,
        description="required blocks until met; recommended orders suggestions; optional "
        "is shown only",
        **kw,
    )


class AddDependencyBody(StrictMapping):
    from_node_id = object_id(description="the prerequisite")
    to_node_id = object_id(description="the lesson that depends on it")
    type = dependency_type(missing=DependencyType.REQUIRED.value)
    min_score_percent = integer(0, 100, missing=0)


class AddDependencyRequest(colander.MappingSchema):
    body = AddDependencyBody()


class RetypeDependencyBody(StrictMapping):
    type = dependency_type(missing=DROP)
    min_score_percent = integer(0, 100, missing=DROP)


class RetypeDependencyRequest(colander.MappingSchema):
    body = RetypeDependencyBody()


class NodeSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    lesson_id = colander.SchemaNode(colander.Integer())
    title = colander.SchemaNode(colander.String())
    x = colander.SchemaNode(colander.Integer())
    y = colander.SchemaNode(colander.Integer())
    totals = TotalsSchema()
    removed_from_template = colander.SchemaNode(
        colander.Boolean(), description="the template dropped it; propagate removes it"
    )
    state = colander.SchemaNode(
        colander.String(),
        validator=colander.OneOf(STATES),
        missing=DROP,
        description="student graphs only",
    )
    score = colander.SchemaNode(colander.Integer(), missing=DROP)
    max_score = colander.SchemaNode(colander.Integer(), missing=DROP)


class NodeItems(colander.SequenceSchema):
    item = NodeSchema()


class DependencySchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    from_node_id = colander.SchemaNode(colander.Integer())
    to_node_id = colander.SchemaNode(colander.Integer())
    type = colander.SchemaNode(colander.String(), validator=colander.OneOf(DEPENDENCY_TYPES))
    min_score_percent = colander.SchemaNode(colander.Integer())
    removed_from_template = colander.SchemaNode(colander.Boolean())


class DependencyItems(colander.SequenceSchema):
    item = DependencySchema()
