"""Colander fields shared by the materials API's schemas (materials, progress, comments,
submissions): JSON integers and ids, free text kept as written, response nodes."""

from __future__ import annotations

from typing import Any

import colander

from thebot.schemas import Field, id_range


class JsonInteger(Field):
    """An integer in a JSON body: numbers only (``"5"``, ``5.0`` and ``true`` are errors)."""

    def deserialize(self, cstruct: Any = colander.null) -> Any:
        if isinstance(cstruct, str):
            raise colander.Invalid(self, f"{cstruct!r} is not an integer")
        return super().deserialize(cstruct)


def body_integer(low: int | None = None, high: int | None = None, **kw: Any) -> Any:
    validator = colander.Range(low, high) if low is not None or high is not None else None
    return JsonInteger(colander.Integer(strict=True), validator=validator, **kw)


def body_id(**kw: Any) -> Any:
    return JsonInteger(colander.Integer(strict=True), validator=id_range(), **kw)


def long_text(max_length: int, **kw: Any) -> Any:
    """Free text kept as written (markdown: leading spaces matter). Unlike
    ``thebot.schemas.long_text`` a number is taken as its text: these endpoints always
    accepted one, and clients may rely on it."""
    return Field(
        colander.String(allow_empty=True),
        validator=colander.Length(0, max_length),
        strip=False,
        **kw,
    )


def node(typ: Any, **kw: Any) -> Any:
    """A response field."""
    return colander.SchemaNode(typ, **kw)


def nullable(typ: Any, **kw: Any) -> Any:
    """A response field that may be ``null``."""
    return colander.SchemaNode(typ, missing=None, **kw)


class IdList(colander.SequenceSchema):
    id = node(colander.Integer())
