"""Schemas of the review queue and of grading."""

from __future__ import annotations

import colander

from thebot.knowledge.learning.schemas import AnswerOut, AnyJSON, LessonSummary, NodeIds
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, StrictMapping, integer, long_text, object_id


class ReviewQueueQuery(StrictMapping, PaginationQuery):
    student = object_id(missing=DROP)
    subject = object_id(missing=DROP)


class ReviewQueueRequest(colander.MappingSchema):
    querystring = ReviewQueueQuery()


class GradeBody(StrictMapping):
    score = integer(0, 1000, description="0 to the element's max_score")
    feedback = long_text(5000, missing="")


class GradeRequest(colander.MappingSchema):
    body = GradeBody()


def _int() -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer())


def _str() -> colander.SchemaNode:
    return colander.SchemaNode(colander.String())


class Named(colander.MappingSchema):
    id = _int()
    name = _str()


class Titled(colander.MappingSchema):
    id = _int()
    title = _str()


class ProblemOut(Titled):
    statement = _str()
    max_score = _int()


class QueueItem(colander.MappingSchema):
    id = _int()
    attempt = _int()
    answer = colander.SchemaNode(AnyJSON())
    created_at = _str()
    student = Named()
    subject_id = _int()
    graph_id = _int()
    node_id = _int()
    lesson = Titled()
    element = ProblemOut()


class QueueItems(colander.SequenceSchema):
    item = QueueItem()


class QueuePage(colander.MappingSchema):
    items = QueueItems()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)


class GradeResult(colander.MappingSchema):
    answer = AnswerOut()
    lesson = LessonSummary()
    unlocked_node_ids = NodeIds()
