"""Console scripts: check-config, migrate, init-config; alembic from the ini."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import create_engine, inspect

from thebot.scripts import check_config, init_config, migrate

SAFE_ENV = {
    "SECRET_KEY": "s" * 64,
    "ALLOWED_HOSTS": "api.example.com",
    "CORS_ALLOWED_ORIGINS": "https://app.example.com",
    "DATABASE_URL": "postgresql://thebot@db.example.com/thebot",
    "DB_SSLMODE": "require",
    "BACKUP_DIR": "/var/lib/thebot/backups",
    "MEDIA_ROOT": "/var/lib/thebot/media",
    "MAIL_DIR": "/var/lib/thebot/mail",
}


def write_ini(path, **values):
    lines = "\n".join(f"{k} = {v}" for k, v in values.items())
    alembic = "[alembic]\nscript_location = thebot:migrations\n"
    path.write_text(f"[app:main]\nuse = egg:thebot\n{lines}\n\n{alembic}")
    return str(path)


def test_check_config_reports_every_problem_and_fails(tmp_path, capsys, monkeypatch):
    ini = write_ini(tmp_path / "p.ini", debug="false", database_url="sqlite:///x.sqlite")
    assert check_config.main([ini]) == 1
    out = capsys.readouterr().out
    assert out.count("ERROR:") == 7  # key, hosts, cors, sqlite, backup, media and mail dirs
    assert "start-up would refuse" in out


def test_check_config_passes_a_safe_configuration_from_the_environment(
    tmp_path, capsys, monkeypatch
):
    for name, value in SAFE_ENV.items():
        monkeypatch.setenv(name, value)
    ini = write_ini(tmp_path / "p.ini", debug="false")
    assert check_config.main([ini]) == 0
    assert "OK" in capsys.readouterr().out


def test_shipped_production_ini_is_refused_without_environment(capsys):
    assert check_config.main(["production.ini"]) == 1


def test_migrate_creates_the_schema_and_is_idempotent(tmp_path, capsys):
    db = tmp_path / "m.sqlite"
    ini = write_ini(tmp_path / "m.ini", debug="true", database_url=f"sqlite:///{db}")
    assert migrate.main([ini]) == 0
    assert migrate.main([ini]) == 0
    assert migrate.main([ini, "--check"]) == 0
    tables = set(inspect(create_engine(f"sqlite:///{db}")).get_table_names())
    assert {"health_check", "user_account", "audit_event", "alembic_version"} <= tables


@pytest.mark.slow
def test_alembic_command_line_reads_the_ini(tmp_path):
    db = tmp_path / "a.sqlite"
    ini = write_ini(tmp_path / "a.ini", debug="true", database_url=f"sqlite:///{db}")
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", ini, "upgrade", "heads"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "health_check" in inspect(create_engine(f"sqlite:///{db}")).get_table_names()


def test_init_config_writes_both_files_with_a_fresh_secret(tmp_path):
    assert init_config.main([str(tmp_path / "conf")]) == 0
    dev = (tmp_path / "conf" / "development.ini").read_text()
    prod = (tmp_path / "conf" / "production.ini").read_text()
    assert "script_location = thebot:migrations" in dev and "use = egg:thebot" in prod
    assert "thebot-development-secret-key" not in dev
    assert init_config.main([str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "development.ini").read_text() != dev  # a new key each time


def test_init_config_keeps_existing_files(tmp_path, capsys):
    (tmp_path / "development.ini").write_text("mine")
    init_config.main([str(tmp_path)])
    assert (tmp_path / "development.ini").read_text() == "mine"


@pytest.mark.slow
@pytest.mark.parametrize(
    "script",
    [
        "thebot-check-config",
        "thebot-migrate",
        "thebot-worker",
        "thebot-scheduler",
        "thebot-init-config",
    ],
)
def test_console_scripts_are_installed(script):
    import shutil

    path = shutil.which(script) or shutil.which(
        script, path=str(__import__("pathlib").Path(sys.executable).parent)
    )
    assert path, f"{script} is not on PATH"
    result = subprocess.run([path, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "usage" in result.stdout.lower()


@pytest.mark.slow
def test_scheduler_lists_periodic_tasks(tmp_path):
    ini = write_ini(
        tmp_path / "s.ini", debug="true", database_url=f"sqlite:///{tmp_path}/s.sqlite"
    )
    result = subprocess.run(
        [sys.executable, "-m", "thebot.scripts.scheduler", ini, "--list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "system.record_health_check" in result.stdout


@pytest.mark.slow
def test_pserve_refuses_unsafe_production_config(tmp_path):
    ini = tmp_path / "prod.ini"
    ini.write_text(textwrap.dedent((__import__("pathlib").Path("production.ini")).read_text()))
    result = subprocess.run(
        [sys.executable, "-c", f"from pyramid.paster import get_app; get_app({str(ini)!r})"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "Unsafe or invalid configuration" in result.stderr
    assert "SECRET_KEY" in result.stderr and "ALLOWED_HOSTS" in result.stderr
