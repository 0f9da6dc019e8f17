"""Retention: messages older than ``CHAT_RETENTION_<TYPE>_DAYS`` days are deleted, with
their attachments (off by default: 0 keeps everything)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, select, update

from thebot.chat.models import ChatMessage, ChatRoom, RoomType
from thebot.chat.objects import OWNER_CHAT_MESSAGE
from thebot.db import utcnow
from thebot.media.models import MediaFile
from thebot.media.service import discard_media
from thebot.tasks import task

log = logging.getLogger(__name__)

RETENTION_TASK = "chat.retention"
RETENTION_CRON = "41 3 * * *"
BATCH = 500


def retention_days(settings: dict[str, Any]) -> dict[str, int]:
    return {
        kind.value: int(settings.get(f"chat_retention_{kind.value}_days") or 0)
        for kind in RoomType
    }


def purge_old_messages(request: Any, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what is past each room type's retention; returns counts per room type."""
    dbsession = request.dbsession
    now = now or utcnow()
    counts: dict[str, int] = {}
    for room_type, days in retention_days(request.registry.settings).items():
        if days <= 0:
            continue
        cutoff = now - dt.timedelta(days=days)
        old = (
            select(ChatMessage.id)
            .join(ChatRoom, ChatRoom.id == ChatMessage.room_id)
            .where(ChatRoom.type == room_type, ChatMessage.created_at < cutoff)
        )
        total = 0
        while ids := list(dbsession.scalars(old.limit(BATCH))):
            files = dbsession.scalars(
                select(MediaFile).where(
                    MediaFile.owner_type == OWNER_CHAT_MESSAGE, MediaFile.owner_id.in_(ids)
                )
            )
            for media in files:
                discard_media(request, media)
            # replies keep their place: the answered message is simply gone
            dbsession.execute(
                update(ChatMessage)
                .where(ChatMessage.reply_to_id.in_(ids))
                .values(reply_to_id=None)
            )
            dbsession.execute(delete(ChatMessage).where(ChatMessage.id.in_(ids)))
            total += len(ids)
        counts[room_type] = total
    if counts:
        log.info("chat retention: deleted %s", counts)
    return counts


@task(RETENTION_TASK)
def run_retention(request: Any) -> None:
    purge_old_messages(request)
