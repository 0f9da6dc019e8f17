"""Alembic environment: the database comes from the application settings.

``alembic -c production.ini upgrade head`` reads ``[app:main]`` of that ini (with the same
environment overrides the app uses); ``thebot.db.migrate`` passes settings or a connection in.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from pyramid.paster import get_appsettings

from thebot import import_models
from thebot.db import UTCDateTime, get_engine
from thebot.settings import load_settings

config = context.config
target_metadata = import_models()


def app_settings() -> dict:
    settings = config.attributes.get("settings")
    if settings is None:
        if config.config_file_name and config.file_config.has_section("loggers"):
            fileConfig(config.config_file_name, disable_existing_loggers=False)
        settings = load_settings(get_appsettings(config.config_file_name, name="main"))
    return settings


def render_item(type_: str, obj, autogen_context):
    """Render our column types as plain SQLAlchemy ones so revisions import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=app_settings()["sqlalchemy.url"].render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = get_engine(app_settings())
    try:
        with engine.connect() as conn:
            run_with(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
