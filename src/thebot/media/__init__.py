"""Media: uploaded files, their type sniffed from the bytes, stored and served safely.
Features owning files say who may read them with ``config.add_media_owner(owner_type,
can_view)``."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.media.resources import add_media_owner, can_view_avatar
    from thebot.media.service import OWNER_USER

    config.add_directive("add_media_owner", add_media_owner)
    config.add_media_owner(OWNER_USER, can_view_avatar)
    config.scan("thebot.media")
