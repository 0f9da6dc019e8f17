"""Chat messages API: history and search, send (JSON or multipart with files), edit, delete,
pin, and the read state."""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, Request
from thebot.chat.messages import history, service
from thebot.chat.messages.schemas import (
    EditRequest,
    HistoryRequest,
    PinRequest,
    ReadRequest,
    SendRequest,
)
from thebot.chat.models import ChatMessage
from thebot.chat.objects import OWNER_CHAT_MESSAGE, messages_json
from thebot.chat.resources import (
    MESSAGE_ID_PATH,
    MESSAGE_PATH,
    ROOM_ID_PATH,
    ROOM_PATH,
    MessageResource,
    RoomResource,
)
from thebot.chat.schemas import MessagePage, MessageSchema, ReadResult
from thebot.media.models import MediaKind
from thebot.media.service import store_upload
from thebot.pagination import page_body, paginate_request
from thebot.permissions import CHAT_MESSAGE, CHAT_MODERATE, CHAT_POST, CHAT_READ, CHAT_VIEW_ROOM
from thebot.schemas import NoQueryRequest, responds

TAGS = ["chat"]

room_messages = ApiService(
    name="chat_room_messages",
    path=ROOM_PATH + "messages/",
    path_info=ROOM_ID_PATH,
    description="A room's messages, newest first; send one",
    factory=RoomResource,
)
room_read = ApiService(
    name="chat_room_read",
    path=ROOM_PATH + "read/",
    path_info=ROOM_ID_PATH,
    description="Mark the room read up to a message",
    factory=RoomResource,
)
message = ApiService(
    name="chat_message",
    path=MESSAGE_PATH,
    path_info=MESSAGE_ID_PATH,
    description="Edit (author, within the edit window) or delete (author, moderators)",
    factory=MessageResource,
)
pin = ApiService(
    name="chat_message_pin",
    path=MESSAGE_PATH + "pin/",
    path_info=MESSAGE_ID_PATH,
    description="Pin or unpin a message (moderators)",
    factory=MessageResource,
)


@room_messages.get(
    permission=CHAT_VIEW_ROOM,
    schema=HistoryRequest(),
    tags=TAGS,
    response_schemas=responds(MessagePage, "Messages, newest first"),
)
def list_messages(request: Request) -> dict[str, Any]:
    """Newest first; ``before``/``after`` (message ids of this room: another room's is a
    404) and ``q`` (search; deleted messages never match)."""
    query = request.validated["querystring"]
    stmt = history.history_query(
        request.dbsession,
        request.context.viewer,
        request.context.room_id,
        before=query.get("before"),
        after=query.get("after"),
        q=query.get("q"),
    )
    rows, next_cursor = paginate_request(request, stmt, history.HISTORY_ORDER)
    return page_body(messages_json(request.dbsession, rows), next_cursor)


@room_messages.post(
    permission=CHAT_POST,
    schema=SendRequest(),
    tags=TAGS,
    response_schemas=responds(MessageSchema, "The new message", 201),
)
def send_message(request: Request) -> dict[str, Any]:
    """JSON ``{"text", "reply_to"?}`` or multipart/form-data with ``text`` and ``files``
    (type sniffed, size-limited; served only to the room's members)."""
    body = request.validated["body"]
    uploads = list(body.get("files") or ())

    def attach(new: ChatMessage) -> int:
        for upload in uploads:
            store_upload(
                request,
                upload,
                # the submission upload policy: documents and images, MEDIA_MAX_UPLOAD_SIZE
                kind=MediaKind.SUBMISSION.value,
                owner_type=OWNER_CHAT_MESSAGE,
                owner_id=new.id,
            )
        return len(uploads)

    data = service.send_message(
        request.dbsession,
        request.context.viewer,
        request.context.room_id,
        body.get("text", ""),
        body.get("reply_to"),
        attach=attach,
        access=request.context.access,
    )
    request.response.status = 201
    return data


@room_read.post(
    permission=CHAT_READ,
    schema=ReadRequest(),
    tags=TAGS,
    response_schemas=responds(ReadResult, "The room's unread count now"),
)
def mark_read(request: Request) -> dict[str, Any]:
    """Idempotent; never moves backwards (an older id leaves the read state as it is)."""
    count = service.mark_read(
        request.dbsession,
        request.context.viewer,
        request.context.room_id,
        request.validated["body"]["message_id"],
    )
    return {"unread_count": count}


@message.patch(
    permission=CHAT_MESSAGE,
    schema=EditRequest(),
    tags=TAGS,
    response_schemas=responds(MessageSchema, "The edited message"),
)
def edit_message(request: Request) -> dict[str, Any]:
    """The author, within ``CHAT_EDIT_WINDOW`` seconds of sending (403 after)."""
    return service.edit_message(
        request.dbsession,
        request.context.viewer,
        request.context.message.id,
        request.validated["body"]["text"],
    )


@message.delete(
    permission=CHAT_MESSAGE,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(MessageSchema, "The placeholder left in the history"),
)
def delete_message(request: Request) -> dict[str, Any]:
    """Soft delete (the author or a moderator): text and files go, the placeholder stays."""
    return service.delete_message(
        request.dbsession, request.context.viewer, request.context.message.id
    )


@pin.post(
    permission=CHAT_MODERATE,
    schema=PinRequest(),
    tags=TAGS,
    response_schemas=responds(MessageSchema, "The pinned (or unpinned) message"),
)
def pin_message(request: Request) -> dict[str, Any]:
    return service.pin_message(
        request.dbsession,
        request.context.viewer,
        request.context.message.id,
        request.validated["body"].get("pinned", True),
    )
