"""Socket actions (``config.add_realtime_action``): ``message.send``, ``message.edit``,
``message.delete``, ``typing``, ``read``. Each validates its ``data`` and calls the same
service function as the REST endpoint, so permissions, validation, rate limit, audit and
events are the same; a refusal is the same domain error (problem fields)."""

from __future__ import annotations

from typing import Any

import colander

from thebot.audit import audit
from thebot.chat import access as rules
from thebot.chat.access import room_access
from thebot.chat.events import Typing
from thebot.chat.messages import service
from thebot.chat.messages.schemas import (
    DeleteAction,
    EditAction,
    ReadAction,
    RoomAction,
    SendAction,
)
from thebot.chat.objects import active_member_ids
from thebot.errors import Invalid, NotFound, field_error
from thebot.events import record


def _viewer(request: Any) -> Any:
    user = getattr(getattr(request, "identity", None), "user", None)
    if user is None:
        raise NotFound("No such user.")
    return user


def _valid(schema: colander.SchemaNode, data: Any) -> dict[str, Any]:
    try:
        return schema.deserialize(data if isinstance(data, dict) else colander.null)
    except colander.Invalid as exc:
        errors = [field_error(name or "data", text, "data") for name, text in exc.asdict().items()]
        raise Invalid(errors=errors) from None


def send(request: Any, data: dict[str, Any]) -> dict[str, Any]:
    values = _valid(SendAction(), data)
    message = service.send_message(
        request.dbsession, _viewer(request), values["room_id"], values["text"], values["reply_to"]
    )
    audit(request, "chat_message.sent", target_type="chat_message", target_id=message["id"])
    return message


def edit(request: Any, data: dict[str, Any]) -> dict[str, Any]:
    values = _valid(EditAction(), data)
    return service.edit_message(
        request.dbsession, _viewer(request), values["message_id"], values["text"]
    )


def delete(request: Any, data: dict[str, Any]) -> dict[str, Any]:
    values = _valid(DeleteAction(), data)
    return service.delete_message(request.dbsession, _viewer(request), values["message_id"])


def read(request: Any, data: dict[str, Any]) -> dict[str, Any]:
    values = _valid(ReadAction(), data)
    count = service.mark_read(
        request.dbsession, _viewer(request), values["room_id"], values["message_id"]
    )
    return {"unread_count": count}


def typing(request: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``chat.typing`` to the room's other members (those who may post only)."""
    values = _valid(RoomAction(), data)
    viewer = _viewer(request)
    access = room_access(request.dbsession, viewer, values["room_id"])
    access.require(rules.POST)
    members = tuple(
        u for u in active_member_ids(request.dbsession, access.room.id) if u != viewer.id
    )
    payload = {"room_id": access.room.id, "user_id": viewer.id}
    record(request.dbsession, Typing(room_id=access.room.id, members=members, data=payload))
    return {}


ACTIONS = {
    "message.send": send,
    "message.edit": edit,
    "message.delete": delete,
    "typing": typing,
    "read": read,
}
