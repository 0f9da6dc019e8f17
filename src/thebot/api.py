"""Cornice glue: the service class every feature uses, JSON-only body parsing, strict schemas."""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import orjson
from cornice import Service
from cornice.renderer import CorniceRenderer
from cornice.validators import colander_validator, extract_cstruct
from pyramid.request import Request as PyramidRequest
from sqlalchemy.orm import Session

from thebot.errors import cornice_errors_to_problem
from thebot.schemas import MAX_ID, Uploads

# Deeper JSON is refused: no API body nests beyond a few levels, the standard parser hits
# Python's recursion limit near 1,000 (a RecursionError), and orjson will not render a value
# nested beyond 254 levels, so a stored one would break every later read of it.
MAX_JSON_DEPTH = 32
# A NUL, a lone surrogate or a non-finite number reaches a decoded JSON body only as
# "\u0000", "\ud800"-"\udfff", NaN, Infinity or a number too large for a float (raw control
# characters and invalid UTF-8 are parse errors): a body spelling none of them needs no walk
# through every value. A float overflows only with a 3-digit exponent or a long digit run.
SUSPECT_ESCAPE_RE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
SUSPECT_NUMBERS = (b"0" * 100, b"e000", b"e+000", b"E000", b"E+000")
JSON_RE = re.compile(r"^application/([\w.+-]+\+)?json$")
CORNICE_JSON_RE = re.compile("^application/(.*?)json$")  # what Cornice parses as JSON
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


# The JSON renderer of every API service: Cornice's ``cornicejson`` (content negotiation,
# empty 204 bodies) with orjson as the serializer. Lists and dashboards (tens of kilobytes)
# encode about ten times faster than with the standard library, and the bytes become the
# response body without a str round trip; types orjson does not know go through ``default``.
NAME = "thebotjson"
OPTIONS = orjson.OPT_NON_STR_KEYS  # {1: ...} becomes {"1": ...}, as json.dumps did


def dumps(value: Any, *, default: Any = None, **_: Any) -> bytes:
    return orjson.dumps(value, default=default, option=OPTIONS)


def canonical(value: Any) -> bytes:
    """Sorted-key bytes of a JSON body: what an ETag hashes."""
    return orjson.dumps(value, default=str, option=OPTIONS | orjson.OPT_SORT_KEYS)


class FastJSONRenderer(CorniceRenderer):
    def __init__(self) -> None:
        super().__init__(serializer=dumps)


class Request(PyramidRequest):
    """The request as THE_BOT's views and helpers see it: Pyramid's request plus what the
    app adds (``request.dbsession``, Cornice's ``validated``/``errors``, the request id, the
    cache regions). For annotations only: Pyramid builds its own request objects."""

    dbsession: Session
    validated: dict[str, Any]
    errors: Any  # cornice.errors.Errors
    request_id: str
    cache: dict[str, Any]


def parse_id(raw: Any) -> int | None:
    """A positive id from a path segment or query value that can name a row, else ``None``."""
    text = str(raw or "")
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def unparseable_form(request: Request) -> bool:
    """A form body the parser refuses, e.g. ``multipart/form-data`` without a boundary."""
    if (request.content_type or "") not in FORM_TYPES:  # even without a body (a DELETE)
        return False
    try:
        request.POST  # noqa: B018 (parsed once here; Cornice reads the cached result)
    except Exception:  # the multipart parser's errors are not one type (ValueError, KeyError)
        return True
    return False


# What Cornice's extractor gathers besides the body, path and query string: copied for every
# request (the whole URL rebuilt, every header and cookie in a dict) though a schema rarely
# reads them. Request schemas ignore unknown locations, so leaving out what the schema does
# not name changes nothing but the cost.
COSTLY_LOCATIONS = frozenset({"method", "url", "header", "cookies"})
EVERY_LOCATION = COSTLY_LOCATIONS | {"body", "path", "querystring"}


def extract(request: Request, locations: frozenset[str]) -> dict[str, Any]:
    """Cornice's ``extract_cstruct`` limited to ``locations`` (body, path and query string
    always: ``reject_unstorable`` checks them whatever the schema)."""
    if locations & COSTLY_LOCATIONS:
        return extract_cstruct(request)
    content_type = request.content_type
    if content_type in FORM_TYPES:
        body: Any = request.POST.mixed()
    elif content_type and not CORNICE_JSON_RE.match(content_type):
        body = request.body
    elif request.body:
        try:
            body = request.json_body
        except ValueError as e:
            if opens_deeper(request.body, MAX_JSON_DEPTH):
                # Python 3.13's parser reads on where older ones raised RecursionError.
                raise RecursionError("JSON nested too deeply") from e
            request.errors.add("body", "", f"Invalid JSON: {e}")
            return {}
        if not hasattr(body, "items") and not isinstance(body, list):
            request.errors.add("body", "", "Should be a JSON object or an array")
            return {}
    else:
        body = {}
    return {"path": request.matchdict, "body": body, "querystring": request.GET.mixed()}


@functools.lru_cache(maxsize=4096)  # one schema per view and method: a bounded set
def schema_locations(schema: Any) -> frozenset[str]:
    return frozenset(child.name for child in schema.children)


def json_cstruct(request: Request, locations: frozenset[str] = EVERY_LOCATION) -> dict[str, Any]:
    """Like Cornice's extractor, but a body that is not JSON is a 400, not a guess."""
    content_type = request.content_type or ""
    if request.body and not JSON_RE.match(content_type) and content_type not in FORM_TYPES:
        request.errors.add(
            "header", "Content-Type", f"Expected application/json, got {content_type or 'none'}"
        )
        request.errors.status = 400
        request.body = b""
    elif request.body and JSON_RE.match(content_type) and not utf8_charset(request):
        # RFC 8259: JSON between systems is UTF-8 (WebOb would look an unknown name up: 500).
        request.errors.add("header", "Content-Type", "JSON is UTF-8: no other charset")
        request.errors.status = 400
        request.body = b""
    if unparseable_form(request):
        request.errors.add("body", "", "Malformed form body (a multipart body needs a boundary)")
        request.errors.status = 400
        request.body = b""
        request.content_type = "application/json"  # nothing left to parse
    try:
        cstruct = extract(request, locations)
    except RecursionError:  # the parser gave up (about 1,000 levels)
        cstruct = None
    if cstruct is None or nests_deeper(cstruct.get("body"), MAX_JSON_DEPTH):
        request.errors.add("body", "", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        request.errors.status = 400
        request.body = b""
        cstruct = extract(request, locations)
    is_json = JSON_RE.match(request.content_type or "") is not None
    clean = is_json and not suspect_json(request.body)
    reject_unstorable(request, cstruct, skip=("body",) if clean else ())
    return cstruct


def suspect_json(raw: bytes) -> bool:
    """Whether a JSON text may decode to an ``UNSTORABLE`` value (see ``SUSPECT_ESCAPE_RE``)."""
    if b"NaN" in raw or b"Infinity" in raw or SUSPECT_ESCAPE_RE.search(raw) is not None:
        return True
    digits = raw.translate(DIGITS_AS_ZERO)
    return any(spelling in digits for spelling in SUSPECT_NUMBERS)


def opens_deeper(body: bytes, limit: int) -> bool:
    """Whether JSON text (parsed or not) opens more than ``limit`` nested containers; strings
    are skipped. Only for a body the parser refused: a byte loop."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def nests_deeper(value: Any, limit: int) -> bool:
    """Whether a decoded JSON value nests deeper than ``limit`` (a scalar: 0, ``[]``: 1).

    Level by level, keeping only containers: no recursion, and a long flat list costs one
    C-speed comprehension.
    """
    level = [value] if isinstance(value, (dict, list)) else []
    for _ in range(limit + 1):
        if not level:
            return False
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, (dict, list))
        ]
    return True


def has_nul(value: Any) -> bool:
    """Whether a decoded JSON value or query string holds a NUL character anywhere."""
    return _holds(value, lambda v: isinstance(v, str) and "\x00" in v)


def has_non_finite(value: Any) -> bool:
    """Whether a decoded JSON value holds ``NaN`` or ``Infinity`` anywhere."""
    return _holds(value, lambda v: isinstance(v, float) and not math.isfinite(v))


SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds an unpaired ``\\ud800``-``\\udfff`` escape."""
    return _holds(value, lambda v: isinstance(v, str) and SURROGATE_RE.search(v) is not None)


def _holds(value: Any, bad: Any) -> bool:
    # A loop, not recursion: form and query values are not depth-checked.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif bad(item):
            return True
    return False


# What no field may hold, and why: NUL cannot be stored in PostgreSQL text; NaN and Infinity
# are not JSON (RFC 8259), though Python's parser reads them, and JSONB refuses them; a lone
# surrogate (JSON's "\ud800" escape) is no Unicode character, so it cannot be encoded as
# UTF-8 for the database, a password hash or a response.
UNSTORABLE = (
    (has_nul, "NUL characters are not allowed"),
    (has_non_finite, "NaN and Infinity are not JSON numbers"),
    (has_lone_surrogate, "Unpaired surrogate escapes (\\ud800-\\udfff) are not text"),
)


def reject_unstorable(
    request: Request, cstruct: dict[str, Any], skip: tuple[str, ...] = ()
) -> None:
    """Each field holding an ``UNSTORABLE`` value is a 400 up front (and is dropped)."""
    for location in ("body", "querystring", "path"):
        if location in skip:
            continue
        values = cstruct.get(location)
        for check, message in UNSTORABLE:
            if isinstance(values, dict):
                for name in [k for k, v in values.items() if check(k) or check(v)]:
                    request.errors.add(location, name, message)
                    request.errors.status = 400
                    del values[name]
            elif check(values):
                request.errors.add(location, "", message)
                request.errors.status = 400
                cstruct[location] = values = {}


def utf8_charset(request: Request) -> bool:
    return request.charset.lower().replace("_", "-") in {"utf-8", "utf8"}


def reject_stray_files(request: Request, cstruct: dict[str, Any], schema: Any) -> None:
    """A file part of a multipart body is welcome only in a field that takes files
    (``Uploads``); elsewhere it is a 400, not a crash in a text or number type."""
    body = cstruct.get("body")
    if not isinstance(body, dict):
        return
    if isinstance(schema, type):
        schema = schema()
    body_node = schema.get("body") if schema is not None else None
    if body_node is None:  # the schema leaves the body to another validator (media uploads)
        return
    for name, value in list(body.items()):
        parts = value if isinstance(value, list) else [value]
        if not any(hasattr(p, "file") and hasattr(p, "filename") for p in parts):
            continue
        node = body_node.get(name)
        if node is not None and not isinstance(node.typ, Uploads):  # unknown: the schema's
            request.errors.add("body", name, "Expected text, not a file")
            request.errors.status = 400
            del body[name]


def validate(request: Request, **kwargs: Any) -> None:
    deserializer = kwargs.get("deserializer")
    schema = kwargs.get("schema")

    def deserialize(request: Request) -> dict[str, Any]:
        if deserializer is None:
            instance = schema() if isinstance(schema, type) else schema
            cstruct = json_cstruct(request, schema_locations(instance) | {"body"})
        else:
            cstruct = deserializer(request)
        reject_stray_files(request, cstruct, schema)
        return cstruct

    kwargs["deserializer"] = deserialize
    colander_validator(request, **kwargs)


class ApiService(Service):
    """A Cornice service answering errors with problem+json; validates with colander."""

    default_validators = [validate]
    renderer = NAME  # orjson (FastJSONRenderer)

    def default_error_handler(self, request: Request) -> Any:
        return cornice_errors_to_problem(request)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("cors_enabled", False)  # the gatekeeper tween answers CORS
        kwargs.setdefault("depth", 2)
        super().__init__(*args, **kwargs)


def includeme(config: Any) -> None:
    config.add_renderer(NAME, FastJSONRenderer())
