"""Colander schema nodes as JSON Schema 2020-12 (the dialect of OpenAPI 3.1).

What the converter reads from a node, and why:

* the type: colander's own types map to JSON types; a project type describes itself with a
  ``json_schema`` attribute (a dict, or a callable taking the node), so core code never has
  to know the features' types;
* ``missing``: a node without one is ``required``; ``missing=None`` (or ``nullable=True`` on
  ``thebot.accounts.users.schemas.Field``, or ``nullable=True`` on any node) allows ``null``;
* ``unknown="raise"`` on a mapping (``thebot.api.StrictMapping``) is what makes the server
  reject unknown fields, so that, and only that, closes the object
  (``additionalProperties: false``); ``"preserve"`` opens it explicitly;
* validators ``Length``, ``Range``, ``OneOf``, ``Regex``, ``Email``, ``All``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import colander

JSONSchema = dict[str, Any]
JSON_SCALARS = (str, int, float, bool, type(None))


def node_schema(node: colander.SchemaNode, *, response: bool = False) -> JSONSchema:
    """The JSON Schema of one node's value (type, limits, nullability, description).

    ``response``: the node describes an answer, so only ``missing=drop`` makes a field
    optional (``missing=None`` there means "present, maybe null"), and no default applies.
    """
    schema = type_schema(node, response)
    schema.update(validator_schema(node.validator, array=schema.get("type") == "array"))
    if is_nullable(node):
        schema = nullable(schema)
    default = colander.null if response else wire_default(node)
    if default is not colander.null:
        schema["default"] = default
    description = getattr(node, "description", None)
    if description:
        schema["description"] = str(description)
    return schema


def is_nullable(node: colander.SchemaNode) -> bool:
    """A node that says (``nullable``) decides; otherwise ``missing=None`` means null is a
    value (colander reads a JSON null as missing, so it becomes that ``None``)."""
    explicit = getattr(node, "nullable", None)
    if explicit is not None:
        return bool(explicit)
    return node.missing is None


def is_required(node: colander.SchemaNode, response: bool = False) -> bool:
    if response:
        return node.missing is not colander.drop
    return node.missing is colander.required


def nullable(schema: JSONSchema) -> JSONSchema:
    """Allow ``null`` beside what ``schema`` allows."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    if "enum" in schema and None not in schema["enum"]:
        schema = {**schema, "enum": [*schema["enum"], None]}
    if "type" not in schema and "enum" not in schema and schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def wire_default(node: colander.SchemaNode) -> Any:
    """``missing`` as the JSON value the server assumes, or ``colander.null`` if none."""
    missing = node.missing
    if missing in (colander.required, colander.drop, colander.null) or missing is None:
        return colander.null
    if isinstance(missing, bool | int | float | str) and not isinstance(missing, decimal.Decimal):
        if isinstance(node.typ, colander.String) and not isinstance(missing, str):
            return colander.null
        return missing
    return colander.null


def type_schema(node: colander.SchemaNode, response: bool = False) -> JSONSchema:
    typ = node.typ
    own = getattr(typ, "json_schema", None)
    if own is not None:
        return dict(own(node) if callable(own) else own)
    if isinstance(typ, colander.Mapping):
        return mapping_schema(node, response)
    if isinstance(typ, colander.Sequence):
        items = node_schema(node.children[0], response=response) if node.children else {}
        return {"type": "array", "items": items}
    if isinstance(typ, colander.Tuple):
        return {
            "type": "array",
            "prefixItems": [node_schema(child, response=response) for child in node.children],
            "minItems": len(node.children),
            "maxItems": len(node.children),
        }
    if isinstance(typ, colander.Boolean):
        return {"type": "boolean"}
    if isinstance(typ, colander.Integer):
        return {"type": "integer"}
    if isinstance(typ, colander.Decimal):
        return {"type": "string", "format": "decimal"}
    if isinstance(typ, colander.Float):
        return {"type": "number"}
    if isinstance(typ, colander.DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(typ, colander.Date):
        return {"type": "string", "format": "date"}
    if isinstance(typ, colander.Time):
        return {"type": "string", "format": "time"}
    if isinstance(typ, colander.String):
        return {"type": "string"}
    return {}  # a type that does not describe itself: any JSON value


def mapping_schema(node: colander.SchemaNode, response: bool = False) -> JSONSchema:
    schema: JSONSchema = {"type": "object", "properties": {}}
    required = []
    for child in node.children:
        schema["properties"][child.name] = node_schema(child, response=response)
        if is_required(child, response):
            required.append(child.name)
    if required:
        schema["required"] = required
    unknown = getattr(node.typ, "unknown", "ignore")
    if unknown == "raise":
        schema["additionalProperties"] = False
    elif unknown == "preserve":
        schema["additionalProperties"] = True
    return schema


def validator_schema(validator: Any, *, array: bool = False) -> JSONSchema:
    """JSON Schema keywords for the colander validators we can express."""
    if validator is None:
        return {}
    if isinstance(validator, colander.All):
        merged: JSONSchema = {}
        for each in validator.validators:
            merged.update(validator_schema(each, array=array))
        return merged
    if isinstance(validator, colander.Length):
        names = ("minItems", "maxItems") if array else ("minLength", "maxLength")
        limits = dict(zip(names, (validator.min, validator.max), strict=True))
        return {k: v for k, v in limits.items() if v is not None}
    if isinstance(validator, colander.ContainsOnly):
        return {"items": {"enum": [json_scalar(choice) for choice in validator.choices]}}
    if isinstance(validator, colander.Range):
        limits = {"minimum": validator.min, "maximum": validator.max}
        return {k: json_number(v) for k, v in limits.items() if v is not None}
    if isinstance(validator, colander.OneOf):
        return {"enum": [json_scalar(choice) for choice in validator.choices]}
    if isinstance(validator, colander.Email):
        return {"format": "email"}
    if isinstance(validator, colander.Regex):
        return {"pattern": validator.match_object.pattern}
    return {}


def json_number(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_scalar(value: Any) -> Any:
    return value if isinstance(value, JSON_SCALARS) else str(value)
