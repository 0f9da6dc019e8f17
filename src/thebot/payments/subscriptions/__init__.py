"""."""

from typing import Any


def includeme(config: Any) -> None:
    pass
