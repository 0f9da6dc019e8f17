"""Production validation: every problem of a configuration reported together, in one
message that stops start-up (warnings are logged)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from thebot.settings.features import feature_modules
from thebot.settings.table import MIN_SECRET_KEY_LENGTH

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
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104 (a check)
SSLMODE_STRENGTH = {
    "disable": 0,
    "allow": 1,
    "prefer": 2,
    "require": 3,
    "verify-ca": 4,
    "verify-full": 5,
}


class ConfigurationError(Exception):
    """Start-up refused: the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Unsafe or invalid configuration ({len(problems)} problems):\n{lines}")


def check_settings(settings: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return (errors, warnings). Errors refuse start-up when ``debug`` is off."""
    errors: list[str] = []
    warnings: list[str] = []
    if settings["debug"]:
        warnings.append("DEBUG is on: production checks are skipped; never expose this instance.")
        return errors, warnings
    key = settings["secret_key"] or ""
    if not key.strip():
        errors.append(
            "SECRET_KEY is unset: generate one with thebot-init-config or "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`"
        )
    elif key in DEVELOPMENT_SECRET_KEYS or key.startswith("dev-") or "insecure" in key:
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
    errors += directory_errors(settings)
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


# Directories a production process writes: (setting, variable, example, required). A
# relative path would depend on the directory each process happens to start in (web,
# worker, scheduler and a console script would each see another folder).
PRODUCTION_DIRECTORIES = (
    ("backup_dir", "BACKUP_DIR", "/var/lib/thebot/backups", True),
    ("media_root", "MEDIA_ROOT", "/var/lib/thebot/media", False),
    ("log_dir", "LOG_DIR", "/var/lib/thebot/logs", False),
    ("mail_dir", "MAIL_DIR", "/var/lib/thebot/mail", False),
)


def directory_errors(settings: dict[str, Any]) -> list[str]:
    """Each directory that is set (``BACKUP_DIR``: always) must be an absolute path."""
    errors = []
    for name, env, example, required in PRODUCTION_DIRECTORIES:
        value = settings.get(name)
        if not value:
            if required:
                errors.append(f"{env} is unset: set an absolute path such as {example}.")
        elif not os.path.isabs(value):
            errors.append(
                f"{env} is the relative path {value!r}: set an absolute path such as {example}."
            )
    return errors


def validate_settings(settings: dict[str, Any]) -> list[str]:
    """Raise ``ConfigurationError`` listing every problem; return warnings otherwise."""
    errors, warnings = check_settings(settings)
    if errors:
        raise ConfigurationError(errors)
    return warnings
