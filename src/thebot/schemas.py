"""Colander types shared by every feature's schemas: RFC 3339 date-times, query booleans,
``HH:MM`` clock times and IANA time zone names, each also described in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from typing import Any

import colander

RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
# In a query string an unescaped "+" arrives as a space: "...15:00:00 03:00".
DECODED_PLUS_RE = re.compile(r"(?<=\d) (\d{2}:\d{2})$")
RFC3339_EXAMPLE = "2026-12-01T15:00:00+03:00"

# Every id column, like every other integer column, is a 32-bit INTEGER (see the models): a
# larger id names no row, PostgreSQL refuses it ("integer out of range") and SQLite's driver
# raises OverflowError. Request schemas bound their integers with these, so such a value is
# a 400 naming the field, never a database error.
MAX_ID = 2**31 - 1
MIN_INT, MAX_INT = -(2**31), 2**31 - 1


def id_range() -> colander.Range:
    """The validator of every id field: 1 to ``MAX_ID``."""
    return colander.Range(1, MAX_ID, max_err="${val} is not an id (at most ${max})")


def parse_rfc3339(text: str) -> dt.datetime:
    """An RFC 3339 date-time with its offset (``Z`` or ``+HH:MM``) as an aware datetime.

    Raises ``ValueError`` for anything else, including a date-time without an offset.
    """
    match = RFC3339_RE.match(DECODED_PLUS_RE.sub(r"+\1", text.strip()))
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time with an offset, like {RFC3339_EXAMPLE}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "").ljust(6, "0")[:6])
    if match.group(8):
        offset = dt.timedelta(0)
    else:
        hours, minutes = int(match.group(10)), int(match.group(11))
        if hours > 23 or minutes > 59:
            raise ValueError("the UTC offset is out of range")
        offset = dt.timedelta(hours=hours, minutes=minutes)
        if match.group(9) == "-":
            offset = -offset
    value = dt.datetime(year, month, day, hour, minute, second, micro, dt.timezone(offset))
    try:
        # Stored and compared in UTC: 9999-12-31T23:59:59-14:00 is in year 10000 there, which
        # no datetime (nor the database) can hold.
        value.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None
    return value


class RFC3339DateTime(colander.SchemaType):
    """A date-time on the wire: RFC 3339 with an offset; read as an aware datetime."""

    json_schema = {"type": "string", "format": "date-time"}  # read by thebot.openapi

    def serialize(self, node: Any, appstruct: Any) -> Any:
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return appstruct.isoformat()

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null or cstruct == "":
            return colander.null
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, f"Expected one date-time like {RFC3339_EXAMPLE}")
        try:
            return parse_rfc3339(cstruct)
        except ValueError as exc:
            raise colander.Invalid(node, f"Invalid date-time: {exc}") from exc


@functools.lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    return name in known_timezones()


HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class QueryBoolean(colander.SchemaType):
    """``true``/``false`` (or ``1``/``0``) in a query string; anything else is an error."""

    TRUE, FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})
    json_schema = {"type": "boolean"}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return colander.null if appstruct is colander.null else str(bool(appstruct)).lower()

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        text = cstruct.strip().lower() if isinstance(cstruct, str) else None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise colander.Invalid(node, "Expected true or false")


class ClockTime(colander.SchemaType):
    """``"HH:MM"`` (24-hour) as a ``datetime.time``; JSON ``null`` stays ``None`` (clears)."""

    json_schema = {"type": ["string", "null"], "pattern": HHMM_RE.pattern}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        if appstruct is colander.null or appstruct is None:
            return appstruct
        return appstruct.strftime("%H:%M")

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null or cstruct is None:
            return cstruct
        match = HHMM_RE.match(cstruct) if isinstance(cstruct, str) else None
        if match is None:
            raise colander.Invalid(node, 'Expected a time "HH:MM" (00:00 to 23:59) or null')
        return dt.time(int(match.group(1)), int(match.group(2)))


class TimezoneName(colander.SchemaType):
    """An IANA time zone name such as ``Europe/Moscow``."""

    json_schema = {"type": "string", "minLength": 1, "examples": ["Europe/Moscow"]}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, str) or not is_timezone(cstruct):
            raise colander.Invalid(node, "Expected an IANA time zone name like Europe/Moscow")
        return cstruct


MAX_UPLOAD_FILES = 10


class Uploads(colander.SchemaType):
    """The ``files`` fields of a multipart body: one or more uploaded file parts."""

    json_schema = {
        "type": "array",
        "items": {"type": "string", "contentMediaType": "application/octet-stream"},
        "maxItems": MAX_UPLOAD_FILES,
    }

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return colander.null

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        items = cstruct if isinstance(cstruct, list) else [cstruct]
        for item in items:
            if not (hasattr(item, "file") and hasattr(item, "filename")):
                raise colander.Invalid(
                    node, "Send files as file fields of a multipart/form-data request"
                )
        if len(items) > MAX_UPLOAD_FILES:
            raise colander.Invalid(node, f"At most {MAX_UPLOAD_FILES} files")
        return items


class StrictMapping(colander.MappingSchema):
    """A JSON object schema that rejects unknown fields."""

    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="raise")


MAX_TEXT = 5000


class Field(colander.SchemaNode):
    """A JSON field: ``null`` is an error unless ``nullable=True`` (then it means "clear").

    Plain colander types are kept (thebot.openapi converts them for OpenAPI); the node adds
    what JSON needs: explicit nulls, and no bools or floats passing for integers.
    """

    nullable = False

    def deserialize(self, cstruct: Any = colander.null) -> Any:
        if cstruct is None:
            if self.nullable:
                return None
            raise colander.Invalid(self, "May not be null")
        if isinstance(self.typ, colander.Integer) and isinstance(cstruct, (bool, float)):
            raise colander.Invalid(self, f"{cstruct!r} is not an integer")
        if isinstance(self.typ, colander.String) and isinstance(cstruct, str):
            cstruct = cstruct.strip() if self.strip else cstruct
        return super().deserialize(cstruct)

    strip = True


def no_nul(node: Any, value: Any) -> None:
    if "\x00" in value:  # PostgreSQL text cannot hold it: a 400, not a database error
        raise colander.Invalid(node, "May not contain NUL characters")


def text(max_length: int, *, min_length: int = 0, **kw: Any) -> Any:
    """A string of at most ``max_length`` characters, never holding a NUL."""
    return Field(
        colander.String(allow_empty=min_length == 0),
        validator=colander.All(colander.Length(min_length, max_length), no_nul),
        **kw,
    )


def integer(low: int, high: int, **kw: Any) -> Any:
    return Field(colander.Integer(strict=True), validator=colander.Range(low, high), **kw)


def object_id(**kw: Any) -> Any:
    return integer(1, MAX_ID, **kw)


def boolean(**kw: Any) -> Any:
    return Field(colander.Boolean(false_choices=("false", "0"), true_choices=("true", "1")), **kw)


DROP = colander.drop


class NoQueryRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)


def optional(typ: Any, **kw: Any) -> Any:
    return colander.SchemaNode(typ, missing=colander.drop, **kw)


class NoContent(colander.MappingSchema):
    pass


def responds(schema: type[colander.SchemaNode], description: str, status: int = 200) -> Any:
    """``response_schemas`` of a view: its success body (errors are problem+json)."""
    return {str(status): schema(description=description)}


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class EmptyRequest(colander.MappingSchema):
    """For views without parameters: an unknown query parameter or body field is a 400
    (an empty JSON object as the body is accepted)."""

    querystring = StrictMapping(missing=colander.drop)
    body = StrictMapping(missing=colander.drop)


def choice(choices: tuple[str, ...], **kw: Any) -> Any:
    """A string field taking one of ``choices``."""
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
    """An RFC 3339 date-time field (with its offset)."""
    return Field(RFC3339DateTime(), **kw)
