"""Alembic from code: the config for the packaged migrations, upgrade, and drift detection."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

SCRIPT_LOCATION = "thebot:migrations"

log = logging.getLogger(__name__)


def alembic_config(
    settings: dict[str, Any] | None = None, connection: Any = None, ini: str | None = None
) -> Config:
    """An alembic ``Config`` over the migrations shipped in the package."""
    config = Config(ini) if ini else Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if settings is not None:
        config.attributes["settings"] = settings
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(
    settings: dict[str, Any], revision: str = "heads", connection: Any = None, quiet: bool = False
) -> None:
    """Upgrade to ``revision``; ``quiet`` keeps alembic's per-revision lines out of the log
    (a restore building the schema of an archive is one step, not forty)."""
    with quiet_alembic() if quiet else nullcontext():
        command.upgrade(alembic_config(settings, connection), revision)


@contextmanager
def quiet_alembic() -> Iterator[None]:
    """Alembic logs warnings and errors only, while inside."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def model_drift(connection: Any) -> list[Any]:
    """Differences autogenerate finds between the models and the migrated database."""
    from thebot import import_models

    metadata = import_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


def includeme(config: Any) -> None:
    """First start in development: with ``auto_migrate`` on, apply the migrations now."""
    settings = config.get_settings()
    if not settings["auto_migrate"]:
        return
    with config.registry["dbengine"].begin() as connection:
        upgrade(settings, connection=connection)
    log.info("database migrated to head")
