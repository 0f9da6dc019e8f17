"""Events one feature announces and others react to, through ``registry.notify`` (Pyramid
subscribers, registered with ``config.add_subscriber`` or ``@subscriber`` in a scanned
module), so the announcing feature need not know who listens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DataReplaced:
    """All stored data was replaced at once (a backup restore, committed): whatever a
    process keeps derived from it (cached dashboards...) is stale."""

    registry: Any
    reason: str
