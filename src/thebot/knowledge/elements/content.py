"""An element's ``content``, validated per ``type`` (``../shared/API.md``):

- ``theory``: ``{"markdown"}``;
- ``video``: ``{"url", "duration_seconds"}`` (an https URL, a positive duration);
- ``quick_question``: ``{"question", "choices", "correct", "explanation"?}`` (``correct``
  lists indices of ``choices``: one for single choice, several for multiple choice) or
  ``{"question", "accepted_answers", "explanation"?}`` (a short answer, compared case- and
  space-insensitively when graded);
- ``text_problem``: ``{"statement"}``.

Unknown fields are refused. Errors name the field as ``content.<name>``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import colander

from thebot.errors import Invalid, field_error
from thebot.knowledge.models import ElementType
from thebot.schemas import DROP, Field, PlainText, StrictMapping, integer

MAX_MARKDOWN = 100_000
MAX_CHOICES = 20


def plain(max_length: int, min_length: int = 1, **kw: Any) -> Any:
    """A string (never a number) of ``min_length``..``max_length`` characters, no NUL."""
    checks = [colander.Length(min_length, max_length), colander.Function(_no_nul, "No NUL")]
    if "validator" in kw:
        checks.append(kw.pop("validator"))
    return Field(PlainText(allow_empty=min_length == 0), validator=colander.All(*checks), **kw)


def _no_nul(value: str) -> bool:
    return "\x00" not in value


def https_url(node: Any, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise colander.Invalid(node, "An https:// URL")


class Texts(colander.SequenceSchema):
    item = plain(1000)


class Indices(colander.SequenceSchema):
    item = integer(0, MAX_CHOICES - 1)


class TheoryContent(StrictMapping):
    markdown = plain(MAX_MARKDOWN)


class VideoContent(StrictMapping):
    url = plain(2000, validator=https_url)
    duration_seconds = integer(1, 24 * 3600)


class ChoiceQuestion(StrictMapping):
    question = plain(5000)
    choices = Texts(validator=colander.Length(2, MAX_CHOICES))
    correct = Indices(validator=colander.Length(1, MAX_CHOICES))
    explanation = plain(5000, min_length=0, missing=DROP)


class ShortAnswerQuestion(StrictMapping):
    question = plain(5000)
    accepted_answers = Texts(validator=colander.Length(1, 50))
    explanation = plain(5000, min_length=0, missing=DROP)


class TextProblemContent(StrictMapping):
    statement = plain(MAX_MARKDOWN)


SCHEMAS: dict[str, type[colander.SchemaNode]] = {
    ElementType.THEORY.value: TheoryContent,
    ElementType.VIDEO.value: VideoContent,
    ElementType.TEXT_PROBLEM.value: TextProblemContent,
}


def _prefixed(exc: colander.Invalid) -> list[dict[str, str]]:
    return [
        field_error(f"content.{name}" if name else "content", message)
        for name, message in sorted(exc.asdict().items())
    ]


def _quick_question(content: dict[str, Any]) -> dict[str, Any]:
    schema = ShortAnswerQuestion() if "accepted_answers" in content else ChoiceQuestion()
    if "accepted_answers" in content and ("choices" in content or "correct" in content):
        raise Invalid("content", "A question has either choices and correct, or accepted_answers")
    clean: dict[str, Any] = schema.deserialize(content)
    if "choices" in clean:
        correct = clean["correct"]
        errors = [
            field_error(f"content.correct.{i}", f"No choice {index}")
            for i, index in enumerate(correct)
            if index >= len(clean["choices"])
        ]
        if len(set(correct)) != len(correct):
            errors.append(field_error("content.correct", "Each index once"))
        if errors:
            raise Invalid(errors=errors)
        clean["correct"] = sorted(correct)
    return clean


def clean_content(element_type: str, content: Any) -> dict[str, Any]:
    """``content`` checked against ``element_type``'s shape; raises ``Invalid``."""
    if not isinstance(content, dict):
        raise Invalid("content", "An object")
    try:
        if element_type == ElementType.QUICK_QUESTION.value:
            return _quick_question(content)
        clean: dict[str, Any] = SCHEMAS[element_type]().deserialize(content)
        return clean
    except colander.Invalid as exc:
        raise Invalid(errors=_prefixed(exc)) from exc


class JSONObject(colander.SchemaType):
    """Any JSON object (checked later, e.g. per element type)."""

    json_schema = {"type": "object", "additionalProperties": True}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, "Expected an object")
        return cstruct
