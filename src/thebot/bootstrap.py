"""First-start work: apply migrations when ``auto_migrate`` is on (development)."""

from __future__ import annotations

import logging
from typing import Any

from thebot.migrate import upgrade

log = logging.getLogger(__name__)


def includeme(config: Any) -> None:
    settings = config.get_settings()
    if not settings["auto_migrate"]:
        return
    engine = config.registry["dbengine"]
    with engine.begin() as connection:
        upgrade(settings, connection=connection)
    log.info("database migrated to head")
