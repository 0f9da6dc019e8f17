"""Settings of the media feature (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_int

SETTINGS: tuple[S, ...] = (
    # materials: media
    S(
        "media_max_upload_size",
        "MEDIA_MAX_UPLOAD_SIZE",
        10 * 1024 * 1024,
        as_int,
        "Largest material or submission file in bytes (413 above; ``MAX_REQUEST_BODY_SIZE`` "
        "caps the whole request).",
    ),
    S(
        "media_max_avatar_size",
        "MEDIA_MAX_AVATAR_SIZE",
        2 * 1024 * 1024,
        as_int,
        "Largest avatar image in bytes (413 above).",
    ),
)
