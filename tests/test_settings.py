"""Settings: environment overrides, coercion, and production validation."""

from __future__ import annotations

import pytest

from thebot import main
from thebot.settings import ConfigurationError, check_settings, load_settings

SAFE = {
    "debug": "false",
    "secret_key": "k" * 64,
    "allowed_hosts": "api.example.com",
    "cors_allowed_origins": "https://app.example.com",
    "database_url": "postgresql://thebot@db.example.com/thebot",
    "db_sslmode": "require",
    "backup_dir": "/var/lib/thebot/backups",
    "media_root": "/var/lib/thebot/media",
    "mail_dir": "/var/lib/thebot/mail",
}


def test_environment_beats_ini_and_values_are_coerced():
    settings = load_settings(
        {"debug": "false", "db_pool_size": "3"}, environ={"DEBUG": "true", "DB_POOL_SIZE": "9"}
    )
    assert settings["debug"] is True
    assert settings["db_pool_size"] == 9


def test_separate_db_variables_win_over_url_and_survive_special_characters():
    settings = load_settings(
        {"database_url": "postgresql://old@old-host/old"},
        environ={
            "DB_HOST": "db.internal",
            "DB_USER": "app",
            "DB_PASSWORD": "p@ss:w/rd#1?",
            "DB_NAME": "prod",
            "DB_PORT": "6432",
        },
    )
    url = settings["sqlalchemy.url"]
    assert (url.host, url.username, url.password, url.database, url.port) == (
        "db.internal",
        "app",
        "p@ss:w/rd#1?",
        "prod",
        6432,
    )
    assert url.drivername == "postgresql+psycopg"


def test_db_engine_switches_backend():
    settings = load_settings(
        {},
        environ={
            "DB_ENGINE": "postgresql",
            "DB_HOST": "h",
            "DB_NAME": "n",
            "DB_SSLMODE": "verify-full",
        },
    )
    assert settings["sqlalchemy.url"].drivername == "postgresql+psycopg"
    assert settings["sqlalchemy.url"].query["sslmode"] == "verify-full"


def test_invalid_value_is_reported_by_variable_name():
    with pytest.raises(ConfigurationError) as info:
        load_settings({}, environ={"DEBUG": "maybe", "DB_POOL_SIZE": "many"})
    assert "DEBUG" in str(info.value) and "DB_POOL_SIZE" in str(info.value)


def test_safe_production_configuration_passes():
    errors, _warnings = check_settings(load_settings(SAFE, environ={}))
    assert errors == []


def test_production_start_up_refuses_and_lists_every_problem_at_once():
    unsafe = {
        "debug": "false",
        "secret_key": "short",
        "allowed_hosts": "*",
        "cors_allowed_origins": "http://localhost:3000 http://app.example.com",
        "database_url": "sqlite:///x.sqlite",
        "backup_dir": "/srv/backups",
        "media_root": "/srv/media",
        "mail_dir": "/srv/mail",
    }
    with pytest.raises(ConfigurationError) as info:
        main({}, **unsafe)
    message = str(info.value)
    for needle in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "localhost origin",
        "not an https origin",
        "SQLite",
    ):
        assert needle in message, needle
    assert len(info.value.problems) == 6


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        (
            {"secret_key": "thebot-development-secret-key-do-not-use-in-production"},
            "development value",
        ),
        ({"secret_key": "a" * 49}, "at least 50"),
        ({"allowed_hosts": ""}, "ALLOWED_HOSTS is empty"),
        ({"cors_allowed_origins": ""}, "CORS_ALLOWED_ORIGINS is empty"),
        ({"db_sslmode": "prefer"}, "DB_SSLMODE"),
        ({"db_sslmode": ""}, "DB_SSLMODE"),
    ],
)
def test_each_production_rule(override, needle):
    errors, _ = check_settings(load_settings({**SAFE, **override}, environ={}))
    assert any(needle in e for e in errors), errors


@pytest.mark.parametrize("key", ["", "   "])
def test_an_unset_secret_key_is_called_unset_and_says_how_to_make_one(key):
    errors, _ = check_settings(load_settings({**SAFE, "secret_key": key}, environ={}))
    (error,) = [e for e in errors if "SECRET_KEY" in e]
    assert error.startswith("SECRET_KEY is unset: generate one with thebot-init-config")
    assert "secrets.token_urlsafe(64)" in error and "development value" not in error


def test_an_unset_secret_key_in_the_environment_is_unset_too():
    settings = load_settings({**SAFE}, environ={"SECRET_KEY": ""})
    errors, _ = check_settings(settings)
    assert any(e.startswith("SECRET_KEY is unset") for e in errors), errors


@pytest.mark.parametrize(
    ("name", "env"),
    [
        ("backup_dir", "BACKUP_DIR"),
        ("media_root", "MEDIA_ROOT"),
        ("log_dir", "LOG_DIR"),
        ("mail_dir", "MAIL_DIR"),
    ],
)
def test_production_refuses_a_relative_directory(name, env):
    errors, _ = check_settings(load_settings({**SAFE, name: "data/files"}, environ={}))
    (error,) = errors
    assert error.startswith(f"{env} is the relative path 'data/files': set an absolute path")


def test_the_relative_defaults_are_refused_and_an_unset_backup_dir_too():
    bare = {k: v for k, v in SAFE.items() if k not in {"backup_dir", "media_root", "mail_dir"}}
    errors, _ = check_settings(load_settings(bare, environ={}))
    assert sorted(e.split(" ")[0] for e in errors) == ["BACKUP_DIR", "MAIL_DIR", "MEDIA_ROOT"]
    errors, _ = check_settings(load_settings({**SAFE, "backup_dir": ""}, environ={}))
    assert errors == ["BACKUP_DIR is unset: set an absolute path such as /var/lib/thebot/backups."]


def test_an_unset_log_dir_is_allowed_and_the_environment_fixes_a_relative_ini_value():
    errors, warnings = check_settings(load_settings(SAFE, environ={}))
    assert errors == [] and any("LOG_DIR is unset" in w for w in warnings)
    settings = load_settings({**SAFE, "backup_dir": "backups"}, environ={"BACKUP_DIR": "/b"})
    assert check_settings(settings)[0] == []


def test_weak_sslmode_can_be_explicitly_allowed():
    settings = load_settings(
        {**SAFE, "db_sslmode": "disable", "db_allow_insecure_sslmode": "true"}, environ={}
    )
    errors, warnings = check_settings(settings)
    assert errors == [] and any("DB_SSLMODE" in w for w in warnings)


def test_debug_skips_production_rules():
    errors, warnings = check_settings(load_settings({"debug": "true"}, environ={}))
    assert errors == [] and warnings
