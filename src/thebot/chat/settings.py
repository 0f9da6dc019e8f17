"""Settings of the chat feature (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_bool, as_int, as_rate_limit

SETTINGS: tuple[S, ...] = (
    S(
        "chat_edit_window",
        "CHAT_EDIT_WINDOW",
        900,
        as_int,
        "Seconds after sending during which the author may edit a chat message.",
    ),
    S(
        "chat_email_digest_minutes",
        "CHAT_EMAIL_DIGEST_MINUTES",
        15,
        as_int,
        "A member away from the chat gets at most one email digest per room per this many "
        "minutes (never one email per message).",
    ),
    S(
        "chat_send_rate",
        "CHAT_SEND_RATE",
        "30/minute",
        as_rate_limit,
        "Messages one user may send (REST and socket together) before a 429.",
    ),
    S(
        "chat_subject_room_parents",
        "CHAT_SUBJECT_ROOM_PARENTS",
        False,
        as_bool,
        "Parents of enrolled students join subject rooms, read-only.",
    ),
    S(
        "chat_retention_direct_days",
        "CHAT_RETENTION_DIRECT_DAYS",
        0,
        as_int,
        "Delete direct-room messages older than this many days (0: keep forever).",
    ),
    S(
        "chat_retention_group_days",
        "CHAT_RETENTION_GROUP_DAYS",
        0,
        as_int,
        "Delete group-room messages older than this many days (0: keep forever).",
    ),
    S(
        "chat_retention_subject_days",
        "CHAT_RETENTION_SUBJECT_DAYS",
        0,
        as_int,
        "Delete subject-room messages older than this many days (0: keep forever).",
    ),
)
