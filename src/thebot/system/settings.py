"""Settings of the system feature (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_positive

SETTINGS: tuple[S, ...] = (
    S(
        "heartbeat_interval",
        "HEARTBEAT_INTERVAL",
        15,
        as_positive,
        "Seconds between the heartbeats ``thebot-worker`` and ``thebot-scheduler`` record.",
    ),
    S(
        "heartbeat_timeout",
        "HEARTBEAT_TIMEOUT",
        60,
        as_positive,
        "A worker or scheduler counts as live while its last heartbeat is younger than this "
        "many seconds (health, ``thebot-heartbeat``); keep it a few intervals long.",
    ),
    S(
        "queue_stale_minutes",
        "QUEUE_STALE_MINUTES",
        10,
        as_positive,
        "Health degrades when a queue holds a message waiting longer than this many minutes "
        "and no live worker consumes the queue.",
    ),
)
