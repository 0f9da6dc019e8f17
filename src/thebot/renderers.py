"""The JSON renderer of every API service: orjson, bytes straight into the response body.

Cornice's ``cornicejson`` renderer (content negotiation, empty 204 bodies) with orjson as
the serializer: lists of 50 materials or a tutor's dashboard (tens of kilobytes) encode
about ten times faster than with the standard library, and the bytes it returns become the
response body without a str round trip. Types orjson does not know go through Pyramid's
adapters and ``__json__`` like before (the ``default`` callback).
"""

from __future__ import annotations

from typing import Any

import orjson
from cornice.renderer import CorniceRenderer

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


def includeme(config: Any) -> None:
    config.add_renderer(NAME, FastJSONRenderer())
