"""Settings: defaults, the environment-override table, coercion and production validation.

Every setting the application reads is declared once in ``SETTINGS``. Values come from the
ini file (``[app:main]``) and are overridden by environment variables; they are coerced once
at start-up so the rest of the code reads typed values from ``registry.settings``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url

from thebot.coercion import (
    Setting,
    as_bool,
    as_int,
    as_list,
    as_optional_str,
)

DEVELOPMENT_SECRET_KEYS = frozenset(
    {
        "",
        "change-me",
        "changeme",
        "secret",
        "development-secret-key",
        "django-insecure-change-me",
        "thebot-development-secret-key-do-not-use-in-production",
    }
)
MIN_SECRET_KEY_LENGTH = 50
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104 (a check)
SSLMODE_STRENGTH = {
    "disable": 0,
    "allow": 1,
    "prefer": 2,
    "require": 3,
    "verify-ca": 4,
    "verify-full": 5,
}


API_DOCS_MODES = ("public", "admin", "off")


def as_choice(value: Any, choices: tuple[str, ...]) -> str | None:
    """One of ``choices`` (case-insensitive), or ``None`` when empty (the default applies)."""
    text = as_optional_str(value)
    if text is None:
        return None
    if text.lower() not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return text.lower()


S = Setting
CORE_SETTINGS: tuple[Setting, ...] = (
    S(
        "secret_key",
        "SECRET_KEY",
        "",
        str,
        "Signing key for sessions and tokens.",
        f">= {MIN_SECRET_KEY_LENGTH} characters, not a known development value",
    ),
    S("debug", "DEBUG", False, as_bool, "Development mode: relaxed checks, no HTTPS redirect."),
    S(
        "allowed_hosts",
        "ALLOWED_HOSTS",
        [],
        as_list,
        "Host names the app answers to (``.example.com`` matches subdomains).",
        "not empty, not ``*``",
    ),
    S(
        "cors_allowed_origins",
        "CORS_ALLOWED_ORIGINS",
        [],
        as_list,
        "Origins allowed to call the API from a browser (with credentials).",
        "not empty; https only; no localhost",
    ),
    S(
        "database_url",
        "DATABASE_URL",
        "sqlite:///thebot.sqlite",
        str,
        "SQLAlchemy URL of the database.",
        "not SQLite",
    ),
    S(
        "db_engine",
        "DB_ENGINE",
        None,
        as_optional_str,
        "``postgresql`` or ``sqlite``; with the other ``DB_*`` values, wins over the URL.",
    ),
    S("db_host", "DB_HOST", None, as_optional_str, "Database host."),
    S(
        "db_port",
        "DB_PORT",
        None,
        lambda v: None if v in (None, "") else as_int(v),
        "Database port.",
    ),
    S("db_name", "DB_NAME", None, as_optional_str, "Database name (file path for SQLite)."),
    S("db_user", "DB_USER", None, as_optional_str, "Database user."),
    S(
        "db_password",
        "DB_PASSWORD",
        None,
        as_optional_str,
        "Database password (any characters; no URL quoting needed).",
    ),
    S(
        "db_sslmode",
        "DB_SSLMODE",
        None,
        as_optional_str,
        "PostgreSQL ``sslmode``.",
        "``require`` or stronger unless ``DB_ALLOW_INSECURE_SSLMODE``",
    ),
    S(
        "db_allow_insecure_sslmode",
        "DB_ALLOW_INSECURE_SSLMODE",
        False,
        as_bool,
        "Accept an ``sslmode`` weaker than ``require`` (private network).",
    ),
    S("db_connect_timeout", "DB_CONNECT_TIMEOUT", 10, as_int, "Connect timeout, seconds."),
    S("db_pool_size", "DB_POOL_SIZE", 5, as_int, "Connections kept in the pool."),
    S("db_max_overflow", "DB_MAX_OVERFLOW", 10, as_int, "Extra connections under load."),
    S(
        "db_pool_recycle",
        "DB_CONN_MAX_AGE",
        600,
        as_int,
        "Seconds before a pooled connection is replaced (Django's CONN_MAX_AGE).",
    ),
    S("db_pool_timeout", "DB_POOL_TIMEOUT", 30, as_int, "Seconds to wait for a free connection."),
    S(
        "auto_migrate",
        "AUTO_MIGRATE",
        False,
        as_bool,
        "Apply alembic migrations at start-up (development).",
    ),
    S(
        "redis_url",
        "REDIS_URL",
        None,
        as_optional_str,
        "Redis for cache, task broker, rate limits and sessions; memory/in-process when unset.",
    ),
    S("redis_timeout", "REDIS_TIMEOUT", 2.0, float, "Redis socket timeout, seconds."),
    S(
        "task_broker",
        "TASK_BROKER",
        "auto",
        str,
        "``auto`` (Redis when ``REDIS_URL`` is set, else in-process), ``redis``, ``inprocess``, "
        "``stub`` (tests).",
    ),
    S(
        "scheduler_in_process",
        "SCHEDULER_IN_PROCESS",
        False,
        as_bool,
        "Run the periodic scheduler inside the web process (development only).",
    ),
    S("media_root", "MEDIA_ROOT", "media", str, "Directory of uploaded files."),
    S(
        "log_dir",
        "LOG_DIR",
        None,
        as_optional_str,
        "Directory for rotating ``audit.log``, ``admin.log``, ``worker.log``.",
    ),
    S("sentry_dsn", "SENTRY_DSN", None, as_optional_str, "Sentry DSN; off when unset."),
    S(
        "smtp_host",
        "SMTP_HOST",
        None,
        as_optional_str,
        "SMTP server; when unset mail is written to ``mail_dir`` and the log.",
    ),
    S("smtp_port", "SMTP_PORT", 587, as_int, "SMTP port."),
    S("smtp_user", "SMTP_USER", None, as_optional_str, "SMTP user."),
    S("smtp_password", "SMTP_PASSWORD", None, as_optional_str, "SMTP password."),
    S("smtp_starttls", "SMTP_STARTTLS", True, as_bool, "Use STARTTLS."),
    S("smtp_ssl", "SMTP_SSL", False, as_bool, "Use implicit TLS (port 465)."),
    S("smtp_timeout", "SMTP_TIMEOUT", 10, as_int, "SMTP timeout, seconds."),
    S("mail_from", "MAIL_FROM", "THE_BOT <noreply@thebot.example>", str, "Sender address."),
    S("mail_dir", "MAIL_DIR", "mail", str, "Folder for outgoing mail when no SMTP server."),
    S(
        "metrics_token",
        "THEBOT_METRICS_TOKEN",
        None,
        as_optional_str,
        "Bearer token that may read the admin-only system endpoints (monitoring).",
    ),
    S(
        "trusted_proxies",
        "TRUSTED_PROXIES",
        ["127.0.0.1", "::1"],
        as_list,
        "Addresses/CIDRs whose ``X-Forwarded-*`` headers are believed.",
    ),
    S(
        "secure_ssl_redirect",
        "SECURE_SSL_REDIRECT",
        True,
        as_bool,
        "Redirect plain HTTP to HTTPS outside debug.",
    ),
    S("hsts_seconds", "HSTS_SECONDS", 31536000, as_int, "HSTS max-age outside debug."),
    S(
        "max_request_body_size",
        "MAX_REQUEST_BODY_SIZE",
        12 * 1024 * 1024,
        as_int,
        "Largest accepted request body in bytes (413 above).",
    ),
    S(
        "health_check_interval",
        "HEALTH_CHECK_INTERVAL",
        60,
        as_int,
        "Seconds between recorded health checks (uptime/SLA).",
    ),
    S(
        "health_check_retention_days",
        "HEALTH_CHECK_RETENTION_DAYS",
        35,
        as_int,
        "Days of recorded health checks kept.",
    ),
    S(
        "includes",
        "THEBOT_INCLUDES",
        [],
        as_list,
        "Extra Pyramid packages to ``config.include`` (integrators' own views and tweens).",
    ),
    S(
        "readiness_timeout",
        "READINESS_TIMEOUT",
        2.0,
        float,
        "Seconds each readiness dependency check may take.",
    ),
    S(
        "api_docs",
        "API_DOCS",
        None,
        lambda v: as_choice(v, API_DOCS_MODES),
        "Who may open the API reference at ``/api/docs/``: ``public``, ``admin`` or ``off``; "
        "unset: ``public`` with ``DEBUG``, ``admin`` otherwise.",
    ),
)


# Feature packages, in include order: each has ``includeme`` and may have ``models.py`` and
# ``settings.py`` (a ``SETTINGS`` tuple). Named, not imported: core imports no feature.
FEATURES = (
    "thebot.accounts",
    "thebot.realtime",  # before the features that mark events real-time or add actions
    "thebot.catalog",
    "thebot.media",
    "thebot.materials",
    "thebot.dashboards",
    "thebot.scheduling",
    "thebot.assignments",
    "thebot.system",
    "thebot.notifications",
    "thebot.backups",
    "thebot.chat",
    "thebot.payments",
)


def feature_modules(leaf: str) -> list[Any]:
    """Each feature's ``<feature>.<leaf>`` module, imported by name, in feature order."""
    found = []
    for feature in FEATURES:
        if importlib.util.find_spec(f"{feature}.{leaf}") is not None:
            found.append(importlib.import_module(f"{feature}.{leaf}"))
    return found


def _collect() -> tuple[Setting, ...]:
    """The core table plus each feature's own ``settings.SETTINGS``."""
    collected = CORE_SETTINGS
    for module in feature_modules("settings"):
        collected += module.SETTINGS
    return collected


SETTINGS = _collect()


class ConfigurationError(Exception):
    """Start-up refused: the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Unsafe or invalid configuration ({len(problems)} problems):\n{lines}")


def load_settings(raw: dict[str, Any], environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Merge ini values, environment overrides and defaults; coerce each once."""
    environ = os.environ if environ is None else environ
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


def check_settings(settings: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return (errors, warnings). Errors refuse start-up when ``debug`` is off."""
    errors: list[str] = []
    warnings: list[str] = []
    if settings["debug"]:
        warnings.append("DEBUG is on: production checks are skipped; never expose this instance.")
        return errors, warnings
    key = settings["secret_key"] or ""
    if key in DEVELOPMENT_SECRET_KEYS or key.startswith("dev-") or "insecure" in key:
        errors.append("SECRET_KEY is a known development value: generate a new random key.")
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        errors.append(
            f"SECRET_KEY is {len(key)} characters long; at least {MIN_SECRET_KEY_LENGTH} required."
        )
    hosts = settings["allowed_hosts"]
    if not hosts:
        errors.append("ALLOWED_HOSTS is empty: list the host names this site answers to.")
    elif "*" in hosts:
        errors.append("ALLOWED_HOSTS contains '*': list the real host names.")
    origins = settings["cors_allowed_origins"]
    if not origins:
        errors.append("CORS_ALLOWED_ORIGINS is empty: list the https origins of the front ends.")
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme != "https":
            errors.append(f"CORS_ALLOWED_ORIGINS: {origin!r} is not an https origin.")
        host = parts.hostname or ""
        if host in LOCAL_HOSTS or host.endswith(".localhost"):
            errors.append(f"CORS_ALLOWED_ORIGINS: {origin!r} is a localhost origin.")
    url = settings["sqlalchemy.url"]
    if url.get_backend_name() == "sqlite":
        errors.append("The database is SQLite: production needs PostgreSQL (DATABASE_URL/DB_*).")
    elif url.get_backend_name() == "postgresql":
        mode = url.query.get("sslmode") or "prefer"
        if SSLMODE_STRENGTH.get(str(mode), 0) < SSLMODE_STRENGTH["require"]:
            if settings["db_allow_insecure_sslmode"]:
                warnings.append(
                    f"DB_SSLMODE={mode} is accepted because DB_ALLOW_INSECURE_SSLMODE."
                )
            else:
                errors.append(
                    f"DB_SSLMODE is {mode!r}: use 'require' or stronger "
                    "(or set DB_ALLOW_INSECURE_SSLMODE=true on a private network)."
                )
    if not settings["redis_url"]:
        warnings.append("REDIS_URL is unset: cache, rate limits and tasks stay in one process.")
    if not settings["smtp_host"]:
        warnings.append(f"SMTP_HOST is unset: mail is written to {settings['mail_dir']!r}.")
    if not settings["log_dir"]:
        warnings.append("LOG_DIR is unset: logs go to the console only.")
    if settings["auto_migrate"]:
        warnings.append("AUTO_MIGRATE is on: prefer running thebot-migrate before deploying.")
    for module in feature_modules("settings"):  # a feature's own rules: ``check(settings)``
        if hasattr(module, "check"):
            feature_errors, feature_warnings = module.check(settings)
            errors += feature_errors
            warnings += feature_warnings
    return errors, warnings


def validate_settings(settings: dict[str, Any]) -> list[str]:
    """Raise ``ConfigurationError`` listing every problem; return warnings otherwise."""
    errors, warnings = check_settings(settings)
    if errors:
        raise ConfigurationError(errors)
    return warnings


def generate_secret_key() -> str:
    return secrets.token_urlsafe(64)
