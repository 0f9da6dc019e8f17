"""colander -> JSON Schema 2020-12 (thebot.openapi.schemas), case by case."""

from __future__ import annotations

import colander

from thebot.openapi.schemas import node_schema
from thebot.schemas import ClockTime, RFC3339DateTime, StrictMapping, integer, text


class Tags(colander.SequenceSchema):
    tag = colander.SchemaNode(colander.String())


class Body(StrictMapping):
    name = text(100, min_length=1)
    grade = integer(1, 12, nullable=True, missing=colander.drop)
    kind = colander.SchemaNode(
        colander.String(), validator=colander.OneOf(["a", "b"]), missing="a"
    )
    tags = Tags(validator=colander.Length(0, 5), missing=colander.drop)
    at = colander.SchemaNode(RFC3339DateTime(), missing=colander.drop)
    quiet = colander.SchemaNode(ClockTime(), missing=colander.drop)


class Answer(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    phone = colander.SchemaNode(colander.String(), missing=None)
    note = colander.SchemaNode(colander.String(), missing=colander.drop)


def test_a_strict_body_is_closed_with_its_required_fields_and_limits():
    schema = node_schema(Body())
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == ["name"]
    props = schema["properties"]
    assert props["name"] == {"type": "string", "minLength": 1, "maxLength": 100}
    assert props["grade"] == {"type": ["integer", "null"], "minimum": 1, "maximum": 12}
    assert props["kind"] == {"type": "string", "enum": ["a", "b"], "default": "a"}
    assert props["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 0,
        "maxItems": 5,
    }
    assert props["at"] == {"type": "string", "format": "date-time"}  # the type's json_schema
    assert props["quiet"]["type"] == ["string", "null"]


def test_a_response_says_what_may_be_null_and_what_may_be_absent():
    schema = node_schema(Answer(), response=True)
    assert schema["required"] == ["id", "phone"]
    assert schema["properties"]["phone"]["type"] == ["string", "null"]
    assert schema["properties"]["note"]["type"] == "string"
    assert "additionalProperties" not in schema  # answers may grow new fields


def test_a_field_that_refuses_null_is_not_nullable_even_with_a_none_default():
    node = integer(1, 5, missing=None, name="x")  # absent -> None, but null is an error
    assert node_schema(node)["type"] == "integer"
    nullable = colander.SchemaNode(colander.String(), missing=None, name="y")
    assert node_schema(nullable)["type"] == ["string", "null"]
