"""Schemas of the student's lesson: action bodies, the lesson, action results, next."""

from __future__ import annotations

from typing import Any

import colander

from thebot.knowledge.learning.content import MAX_TEXT_ANSWER
from thebot.knowledge.models import ElementState, ElementType, LessonState
from thebot.schemas import DROP, EmptyRequest, Field, NoQueryRequest, StrictMapping, integer

MAX_CHOICES = 100
MAX_POSITION = 24 * 3600
ANSWER_HELP = "a list of choice indices (choice questions) or a text (short answers, problems)"


class AnswerValue(colander.SchemaType):
    """``[indices]`` or ``"text"``; which one an element takes is the service's check."""

    json_schema = {
        "anyOf": [
            {
                "type": "array",
                "items": {"type": "integer", "minimum": 0},
                "minItems": 1,
                "maxItems": MAX_CHOICES,
            },
            {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_ANSWER},
        ]
    }

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, str):
            if "\x00" in cstruct:
                raise colander.Invalid(node, "May not contain NUL characters")
            if not cstruct.strip() or len(cstruct) > MAX_TEXT_ANSWER:
                raise colander.Invalid(node, f"A text of 1 to {MAX_TEXT_ANSWER} characters")
            return cstruct
        indices = isinstance(cstruct, list) and 0 < len(cstruct) <= MAX_CHOICES
        if indices and all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in cstruct
        ):
            return list(cstruct)
        raise colander.Invalid(node, f"Expected {ANSWER_HELP}")


class AnyJSON(colander.SchemaType):
    """Any JSON value (as the student sent it)."""

    json_schema: dict[str, Any] = {}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        return cstruct


class AnswerBody(StrictMapping):
    answer = Field(AnswerValue(), description=ANSWER_HELP)


class AnswerRequest(colander.MappingSchema):
    body = AnswerBody()


def one_heartbeat(node: colander.SchemaNode, value: dict[str, Any]) -> None:
    if len({"position_seconds", "seconds"} & set(value)) != 1:
        raise colander.Invalid(node, "Send exactly one of position_seconds and seconds")


class WatchBody(StrictMapping):
    position_seconds = integer(
        0, MAX_POSITION, missing=DROP, description="how far into the video the player is"
    )
    seconds = integer(0, 3600, missing=DROP, description="seconds watched since the last beat")


class WatchRequest(colander.MappingSchema):
    body = WatchBody(validator=one_heartbeat)


LessonRequest = NoQueryRequest
StartRequest = ReadRequest = EmptyRequest


# --- responses -------------------------------------------------------------------------


def _int(**kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), **kw)


def _str(**kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), **kw)


def _nullable(typ: colander.SchemaType) -> colander.SchemaNode:
    return colander.SchemaNode(typ, missing=None)


ELEMENT_STATES = tuple(s.value for s in ElementState)
LESSON_STATES = tuple(s.value for s in LessonState)


class AnswerOut(colander.MappingSchema):
    id = _int()
    attempt = _int()
    answer = colander.SchemaNode(AnyJSON())
    status = _str(validator=colander.OneOf(("graded", "pending")))
    correct = _nullable(colander.Boolean())
    score = _nullable(colander.Integer())
    feedback = _str()
    created_at = _str()
    graded_at = _nullable(colander.String())


class ElementProgressOut(colander.MappingSchema):
    state = _str(validator=colander.OneOf(ELEMENT_STATES))
    score = _int()
    attempts = _int()
    attempts_left = _int()
    watched_seconds = _int()
    started_at = _nullable(colander.String())
    completed_at = _nullable(colander.String())
    last_answer = AnswerOut(missing=None)


class LearnerContent(colander.MappingSchema):
    """The element's content without its answers (``correct``, ``accepted_answers`` and
    ``explanation`` of a quick question appear once it is completed or failed)."""

    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")


class LessonElementOut(colander.MappingSchema):
    element_id = _int()
    position = _int()
    required = colander.SchemaNode(colander.Boolean())
    type = _str(validator=colander.OneOf(tuple(t.value for t in ElementType)))
    title = _str()
    difficulty = _int()
    estimated_minutes = _int()
    max_score = _int()
    max_attempts = _int()
    min_read_seconds = _nullable(colander.Integer())
    watch_seconds_needed = _nullable(colander.Integer())
    content = LearnerContent()
    progress = ElementProgressOut()


class LessonElementsOut(colander.SequenceSchema):
    item = LessonElementOut()


class MissingOut(colander.MappingSchema):
    node_id = _int()
    lesson_id = _int()
    title = _str()
    min_score_percent = _int()


class MissingList(colander.SequenceSchema):
    item = MissingOut()


class LessonSummary(colander.MappingSchema):
    graph_id = _int()
    node_id = _int()
    lesson_id = _int()
    state = _str(validator=colander.OneOf(LESSON_STATES))
    score = _int(description="sum over the required elements done")
    max_score = _int(description="sum over the required elements")
    required_total = _int()
    required_done = _int()
    unlocked_at = _nullable(colander.String())
    started_at = _nullable(colander.String())
    completed_at = _nullable(colander.String())


class LessonOut(LessonSummary):
    title = _str()
    description = _str()
    missing = MissingList(description="required prerequisites not met")
    elements = LessonElementsOut()


class NodeIds(colander.SequenceSchema):
    item = _int()


class ActionResult(colander.MappingSchema):
    element = LessonElementOut()
    lesson = LessonSummary()
    unlocked_node_ids = NodeIds(description="lessons this action unlocked")


class AnswerResult(ActionResult):
    correct = colander.SchemaNode(
        colander.Boolean(), missing=DROP, description="quick questions: was it right"
    )
    state = _str(validator=colander.OneOf(ELEMENT_STATES))
    score = _int()
    attempts_left = _int()
    explanation = _str(missing=DROP, description="once the element is completed or failed")


class NextOut(colander.MappingSchema):
    node_id = _int()
    lesson_id = _int()
    title = _str()
    state = _str(validator=colander.OneOf(LESSON_STATES))
    reason = _str(
        validator=colander.OneOf(("continue", "ready", "recommended_prerequisites_open"))
    )
    recommended_first = NodeIds(description="recommended prerequisites not completed yet")


class NextResult(colander.MappingSchema):
    next = NextOut(missing=None)
