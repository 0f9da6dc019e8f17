"""Settings of the real-time gateway (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from typing import Any

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import (
    as_bool,
    as_non_negative,
    as_optional_str,
    as_positive,
)

HUB_KINDS = ("auto", "redis", "memory")


def as_hub(value: Any) -> str:
    text = str(value).strip().lower() or "auto"
    if text not in HUB_KINDS:
        raise ValueError(f"{value!r} is not one of {', '.join(HUB_KINDS)}")
    return text


SETTINGS: tuple[S, ...] = (
    S(
        "realtime_listen",
        "REALTIME_LISTEN",
        "localhost:6544",
        str,
        "``host:port`` the WebSocket gateway listens on (``thebot-realtime``, or the web process "
        "with ``REALTIME_IN_PROCESS``).",
    ),
    S(
        "realtime_public_url",
        "REALTIME_PUBLIC_URL",
        None,
        as_optional_str,
        "Base URL clients connect to (``wss://rt.example.com``); the ticket's ``url`` is it plus "
        "``/ws/?ticket=...``. Unset: ``ws://`` + ``REALTIME_LISTEN``.",
    ),
    S(
        "realtime_in_process",
        "REALTIME_IN_PROCESS",
        False,
        as_bool,
        "Run the gateway in a thread of the web process with the in-memory hub (development).",
    ),
    S(
        "realtime_hub",
        "REALTIME_HUB",
        "auto",
        as_hub,
        "Where events wait for the gateways: ``redis`` (per-user streams), ``memory`` (one "
        "process), ``auto`` (Redis when ``REDIS_URL`` is set and the gateway is not in-process).",
    ),
    S(
        "realtime_replay_seconds",
        "REALTIME_REPLAY_SECONDS",
        86400,
        as_positive,
        "How long missed events are kept for ``resume``; older: ``resync``.",
    ),
    S(
        "realtime_resume_max",
        "REALTIME_RESUME_MAX",
        1000,
        as_positive,
        "Most missed events one ``resume`` replays; more: ``resync``.",
    ),
    S(
        "realtime_send_queue",
        "REALTIME_SEND_QUEUE",
        1000,
        as_positive,
        "Frames waiting for one socket before the client is disconnected as too slow.",
    ),
    S(
        "realtime_max_frame_bytes",
        "REALTIME_MAX_FRAME_BYTES",
        65536,
        as_positive,
        "Largest client frame accepted (larger: the socket is closed with 1009).",
    ),
    S(
        "realtime_max_connections_per_user",
        "REALTIME_MAX_CONNECTIONS_PER_USER",
        10,
        as_positive,
        "Sockets one user may hold open on one gateway process (more: HTTP 429).",
    ),
    S(
        "realtime_ping_seconds",
        "REALTIME_PING_SECONDS",
        20,
        as_positive,
        "Protocol ping interval; a client that does not pong within it is dropped.",
    ),
    S(
        "realtime_idle_seconds",
        "REALTIME_IDLE_SECONDS",
        300,
        as_positive,
        "A socket whose client sends no frame (``ping`` counts) for this long is closed.",
    ),
    S(
        "realtime_revalidate_seconds",
        "REALTIME_REVALIDATE_SECONDS",
        5,
        as_positive,
        "How often the gateway re-checks its sockets' tokens, sessions and users.",
    ),
    S(
        "realtime_outbox_ack_ms",
        "REALTIME_OUTBOX_ACK_MS",
        200,
        as_non_negative,
        "How long the outbox rows of published events wait to be deleted together "
        "(``0``: each commit deletes its own at once).",
    ),
)


def check(settings: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Production rules of the gateway settings: (errors, warnings)."""
    errors: list[str] = []
    warnings: list[str] = []
    url = settings.get("realtime_public_url")
    if url is None:
        warnings.append(
            "REALTIME_PUBLIC_URL is unset: tickets point at ws://"
            f"{settings.get('realtime_listen')}; set the wss:// URL clients reach."
        )
    elif not url.startswith("wss://"):
        errors.append(f"REALTIME_PUBLIC_URL must be a wss:// URL, not {url!r}.")
    if settings.get("realtime_in_process"):
        warnings.append(
            "REALTIME_IN_PROCESS is on: the gateway serves this process's events only; "
            "run thebot-realtime with Redis instead."
        )
    elif settings.get("realtime_hub") == "memory":
        warnings.append("REALTIME_HUB is memory: no gateway process will hear these events.")
    if settings.get("realtime_hub") == "redis" and not settings.get("redis_url"):
        errors.append("REALTIME_HUB is redis but REDIS_URL is unset.")
    return errors, warnings
