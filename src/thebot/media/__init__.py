"""Media: uploaded files, their type sniffed from the bytes, stored and served safely."""

from typing import Any


def includeme(config: Any) -> None:
    config.scan("thebot.media")
