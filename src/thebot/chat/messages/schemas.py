"""Request schemas of the messages API (responses: ``thebot.chat.schemas``). The socket
actions validate their ``data`` with the same nodes."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, Field, StrictMapping, Uploads, boolean, object_id, text

MAX_TEXT = 10_000


def message_text(min_length: int = 0, **kw: object) -> Field:
    """Message text kept as written (leading spaces and line breaks matter)."""
    return Field(
        colander.String(allow_empty=min_length == 0),
        validator=colander.Length(min_length, MAX_TEXT),
        strip=False,
        **kw,
    )


class HistoryQuery(StrictMapping, PaginationQuery):
    before = object_id(missing=DROP, description="Only messages older than this one")
    after = object_id(missing=DROP, description="Only messages newer than this one")
    q = text(200, min_length=1, missing=DROP, description="Search the room's messages")


class HistoryRequest(colander.MappingSchema):
    querystring = HistoryQuery()


class SendBody(StrictMapping):
    text = message_text(missing="", description="1-10,000 characters (may be empty with files)")
    reply_to = object_id(missing=DROP, description="A message of the same room")
    files = colander.SchemaNode(Uploads(), missing=(), description="multipart only")


class SendRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = SendBody()


class EditBody(StrictMapping):
    text = message_text()


class EditRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = EditBody()


class PinBody(StrictMapping):
    pinned = boolean(missing=True, description="false unpins")


class PinRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = PinBody(missing={"pinned": True})


class ReadBody(StrictMapping):
    message_id = object_id()


class ReadRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = ReadBody()


# --- socket actions (``data`` of client frames) ----------------------------------------------


class SendAction(StrictMapping):
    room_id = object_id()
    text = message_text(1)
    reply_to = object_id(missing=None)


class EditAction(StrictMapping):
    message_id = object_id()
    text = message_text(1)


class DeleteAction(StrictMapping):
    message_id = object_id()


class RoomAction(StrictMapping):
    room_id = object_id()


class ReadAction(StrictMapping):
    room_id = object_id()
    message_id = object_id()
