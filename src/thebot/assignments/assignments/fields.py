"""Colander field types and node helpers of the assignments schemas (requests).

Scores are decimals with at most two places: accepted as JSON numbers or strings
(``12``, ``12.5``, ``"12.50"``), sent back as strings with two places (``"12.50"``).
Each type describes itself for the OpenAPI document (``json_schema``, read by thebot.openapi).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import colander

from thebot.assignments.assignments.service import MAX_SCORE_LIMIT
from thebot.assignments.submissions.late_policy import CENT
from thebot.schemas import Field, RFC3339DateTime


class Score(colander.SchemaType):
    """A decimal with at most two places, from a JSON number or string."""

    json_schema = {"type": ["string", "number"], "format": "decimal"}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        if appstruct is colander.null or appstruct is None:
            return appstruct
        return str(Decimal(appstruct).quantize(CENT))

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, bool) or not isinstance(cstruct, (int, float, str)):
            raise colander.Invalid(node, 'Expected a number or a decimal string like "12.50"')
        try:
            value = Decimal(str(cstruct).strip())
        except InvalidOperation:
            raise colander.Invalid(node, f"{cstruct!r} is not a number") from None
        if not value.is_finite():
            raise colander.Invalid(node, "Must be a finite number")
        if abs(value) > MAX_SCORE_LIMIT:
            raise colander.Invalid(node, f"At most {MAX_SCORE_LIMIT}")
        if value != value.quantize(CENT):
            raise colander.Invalid(node, "At most two decimal places")
        return value.quantize(CENT)


def score(*, positive: bool = False, **kw: Any) -> Any:
    """A score node: at least 0 (``positive``: more than 0)."""

    def check(node: Any, value: Any) -> None:
        if value is not None and (value < 0 or (positive and value == 0)):
            raise colander.Invalid(node, "Must be greater than 0" if positive else "Must be >= 0")

    return Field(Score(), validator=check, **kw)


def choice(choices: tuple[str, ...], **kw: Any) -> Any:
    return Field(colander.String(), validator=colander.OneOf(choices), **kw)


class PlainText(colander.String):
    """Only a string: a number, or a file part in a multipart body, is a 400 (colander's
    ``String`` would stringify the one and crash on the other)."""

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is not colander.null and not isinstance(cstruct, str):
            raise colander.Invalid(node, "Expected text")
        return super().deserialize(node, cstruct)


def long_text(max_length: int, **kw: Any) -> Any:
    """Free text kept as written (markdown: leading spaces matter)."""
    return Field(
        PlainText(allow_empty=True),
        validator=colander.Length(0, max_length),
        strip=False,
        **kw,
    )


def moment(**kw: Any) -> Any:
    return Field(RFC3339DateTime(), **kw)


class RubricScores(colander.SchemaType):
    """``{"<criterion id>": points, ...}`` with points as for ``Score``."""

    json_schema = {
        "type": "object",
        "propertyNames": {"pattern": "^[0-9]+$"},
        "additionalProperties": Score.json_schema,
    }

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, "Expected an object: {criterion id: points}")
        result: dict[int, Decimal] = {}
        problems: dict[str, str] = {}
        for key, raw in cstruct.items():
            text_key = str(key)
            if not text_key.isascii() or not text_key.isdigit() or len(text_key) > 18:
                problems[text_key] = "Not a criterion id"
                continue
            try:
                result[int(text_key)] = Score().deserialize(node, raw)
            except colander.Invalid as exc:
                problems[text_key] = exc.msg
        if problems:
            error = colander.Invalid(node, "Invalid rubric points")
            for key, message in problems.items():
                error.add(
                    colander.Invalid(colander.SchemaNode(colander.String(), name=key), message)
                )
            raise error
        return result
