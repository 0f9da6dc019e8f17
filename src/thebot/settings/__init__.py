"""Settings: defaults, the environment-override table, coercion and production validation.

Every setting the application reads is declared once: core's in ``table.CORE_SETTINGS``,
each feature's in ``<feature>/settings.py`` (found through ``features.FEATURES``). Values
come from the ini file (``[app:main]``) and are overridden by environment variables; they
are coerced once at start-up so the rest of the code reads typed values from
``registry.settings``. ``checks`` holds the production rules.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL, make_url

from thebot.settings.checks import ConfigurationError, check_settings, validate_settings
from thebot.settings.coercion import Setting
from thebot.settings.features import FEATURES, feature_modules
from thebot.settings.table import CORE_SETTINGS

__all__ = [
    "FEATURES",
    "SETTINGS",
    "ConfigurationError",
    "check_settings",
    "database_url",
    "feature_modules",
    "generate_secret_key",
    "load_settings",
    "validate_settings",
]


def _collect() -> tuple[Setting, ...]:
    """The core table plus each feature's own ``settings.SETTINGS``."""
    collected = CORE_SETTINGS
    for module in feature_modules("settings"):
        collected += module.SETTINGS
    return collected


SETTINGS = _collect()


def load_settings(raw: dict[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge ini values, environment overrides and defaults; coerce each once."""
    if environ is None:
        environ = os.environ
    settings = dict(raw)
    problems = []
    for spec in SETTINGS:
        value = raw.get(spec.name, spec.default)
        if spec.env and spec.env in environ:
            value = environ[spec.env]
        try:
            settings[spec.name] = spec.coerce(value) if value is not None else None
        except (TypeError, ValueError) as exc:
            problems.append(f"{spec.env or spec.name}: {exc}")
    if problems:
        raise ConfigurationError(problems)
    settings["sqlalchemy.url"] = database_url(settings)
    return settings


def database_url(settings: dict[str, Any]) -> URL:
    """The database URL: separate ``DB_*`` values win over ``DATABASE_URL``."""
    url = make_url(settings["database_url"])
    parts = {
        "drivername": settings.get("db_engine"),
        "host": settings.get("db_host"),
        "port": settings.get("db_port"),
        "database": settings.get("db_name"),
        "username": settings.get("db_user"),
        "password": settings.get("db_password"),
    }
    if parts["drivername"]:
        engine = parts["drivername"].lower()
        parts["drivername"] = {
            "postgresql": "postgresql+psycopg",
            "postgres": "postgresql+psycopg",
        }.get(engine, engine)
        if parts["drivername"] != url.drivername:
            url = URL.create(parts["drivername"])
    url = url.set(**{k: v for k, v in parts.items() if v is not None})
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if settings.get("db_sslmode") and url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"sslmode": settings["db_sslmode"]})
    return url


def generate_secret_key() -> str:
    return secrets.token_urlsafe(64)
