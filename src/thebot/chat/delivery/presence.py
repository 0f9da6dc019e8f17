"""Who is connected to the real-time gateway right now.

The gateway may put a callable under ``registry["realtime_presence"]`` taking user ids and
returning the connected ones. Without it, everyone counts as not connected (they get the
in-app notification and the digest, which is the safe side).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PRESENCE_KEY = "realtime_presence"


def connected(registry: Any, user_ids: Iterable[int]) -> set[int]:
    lookup = registry.get(PRESENCE_KEY) if registry is not None else None
    if lookup is None:
        return set()
    try:
        return set(lookup(list(user_ids)))
    except Exception:  # presence is a hint: when it fails, treat everyone as away
        return set()
