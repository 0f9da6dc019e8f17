"""Console scripts tell an operator what is wrong in one line, with exit status 2 or 3.

A bad ini path, a directory, an unreachable database or a missing role: one line on stderr
naming the problem and the setting to fix; the traceback only with ``--verbose``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from thebot.scripts import init_config, payments_reconcile, realtime
from thebot.scripts.accounts import createsuperuser, demo_data
from thebot.scripts.backups import create, restore, verify
from thebot.scripts.console import CONFIG, DOWN, Problem, check_ini, diagnose, operator_errors

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x"
REDIS_DOWN = "redis://127.0.0.1:1/0"

# Every script that takes an ini, with the arguments it needs besides it.
SCRIPTS = {
    "thebot-create-backup": (create.main, ["--list"]),
    "thebot-verify-backup": (verify.main, ["--backup-id=1"]),
    "thebot-restore-backup": (restore.main, ["--backup-id=1", "--yes"]),
    "thebot-createsuperuser": (createsuperuser.main, ["--email=root@example.com"]),
    "thebot-create-demo-data": (demo_data.main, []),
    "thebot-payments-reconcile": (payments_reconcile.main, ["--since=2026-01-01"]),
    "thebot-realtime": (realtime.main, []),
}
# The ones that reach the database with a development configuration.
DATABASE_SCRIPTS = [name for name in SCRIPTS if name != "thebot-realtime"]


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv(createsuperuser.PASSWORD_ENV, "a long enough password 1!")
    for name in ("DATABASE_URL", "DB_HOST", "DB_NAME", "DB_USER", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


def ini_with(tmp_path, database_url: str, **extra: str) -> str:
    lines = "".join(f"{k} = {v}\n" for k, v in extra.items())
    path = tmp_path / "site.ini"
    path.write_text(
        "[app:main]\nuse = egg:thebot\ndebug = true\nauto_migrate = false\n"
        f"database_url = {database_url}\ntask_broker = stub\nrealtime_in_process = false\n"
        f"scheduler_in_process = false\nmedia_root = {tmp_path / 'media'}\n"
        f"backup_dir = {tmp_path / 'backups'}\n{lines}"
    )
    return str(path)


def run(name: str, config: str, *more: str) -> int:
    main, args = SCRIPTS[name]
    with pytest.raises(SystemExit) as stopped:
        main([config, *args, *more])
    return stopped.value.code


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_missing_ini_is_one_line_and_status_2(name, tmp_path, capsys):
    assert run(name, str(tmp_path / "nope.ini")) == CONFIG
    line = one_line(capsys)
    assert "nope.ini' does not exist" in line and "thebot-init-config" in line


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_directory_instead_of_the_ini_is_one_line_and_status_2(name, tmp_path, capsys):
    assert run(name, str(tmp_path)) == CONFIG
    line = one_line(capsys)
    assert "is a directory" in line and os.path.join(str(tmp_path), "production.ini") in line


def test_an_ini_without_the_app_section_names_it(tmp_path, capsys):
    (tmp_path / "other.ini").write_text("[server:main]\nuse = egg:waitress#main\n")
    assert run("thebot-create-backup", str(tmp_path / "other.ini")) == CONFIG
    assert "no [app:main] section" in one_line(capsys)


@pytest.mark.parametrize("name", DATABASE_SCRIPTS)
def test_an_unreachable_database_is_one_line_and_status_3(name, tmp_path, capsys):
    assert run(name, ini_with(tmp_path, UNREACHABLE)) == DOWN
    line = one_line(capsys)
    assert "postgresql+psycopg://postgres@127.0.0.1:1/x does not answer" in line
    assert "Connection refused" in line and "fix DATABASE_URL" in line


def test_the_realtime_gateway_with_redis_down_is_one_line_and_status_3(tmp_path, capsys):
    ini = ini_with(tmp_path, f"sqlite:///{tmp_path / 'rt.sqlite'}", redis_url=REDIS_DOWN)
    assert run("thebot-realtime", ini) == DOWN
    line = one_line(capsys)
    assert line.startswith(f"error: Redis at {REDIS_DOWN} does not answer (")
    assert line.endswith("start it or fix REDIS_URL")


def test_verbose_adds_the_traceback(tmp_path, capsys):
    assert run("thebot-create-backup", ini_with(tmp_path, UNREACHABLE), "--verbose") == DOWN
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("error: the database at")


def test_the_db_user_setting_is_named_when_it_is_in_use(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DB_HOST", "127.0.0.1")
    monkeypatch.setenv("DB_PORT", "1")
    assert run("thebot-create-backup", ini_with(tmp_path, UNREACHABLE)) == DOWN
    assert "fix DB_HOST" in one_line(capsys)


def test_a_missing_role_on_postgresql_is_status_2(tmp_path, capsys):
    url = os.environ.get("THEBOT_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs THEBOT_TEST_DATABASE_URL on PostgreSQL")
    missing = make_url(url).set(username="thebot_no_such_role", password=None)
    ini = ini_with(tmp_path, missing.render_as_string(hide_password=False))
    assert run("thebot-create-backup", ini) == CONFIG
    line = one_line(capsys)
    assert "has no role 'thebot_no_such_role'" in line and "fix DATABASE_URL" in line


def test_a_database_without_the_schema_says_to_migrate(tmp_path, capsys):
    ini = ini_with(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert run("thebot-create-backup", ini) == CONFIG
    line = one_line(capsys)
    assert "has no table 'backup_record'" in line and "thebot-migrate" in line


def test_init_config_into_a_file_is_one_line(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("")
    assert init_config.main([str(target)]) == CONFIG
    assert "is a file" in capsys.readouterr().err


def _dbapi_error(text: str, kind=sa_exc.OperationalError) -> Exception:
    return kind("SELECT 1", {}, Exception(text))


@pytest.mark.parametrize(
    "text, code, words",
    [
        ('FATAL:  role "bob" does not exist', CONFIG, ["no role 'bob'", "fix DATABASE_URL"]),
        ('FATAL:  database "shop" does not exist', CONFIG, ["'shop' does not exist"]),
        ('FATAL:  password authentication failed for user "bob"', CONFIG, ["'bob'"]),
        ("unable to open database file", CONFIG, ["SQLite", "DATABASE_URL"]),
        ("connection timeout expired", DOWN, ["does not answer (connection timeout expired)"]),
    ],
)
def test_database_errors_are_told_apart(text, code, words):
    problem = diagnose(_dbapi_error(text))
    assert problem is not None and problem.code == code
    for word in words:
        assert word in problem.message


def test_redis_errors_name_redis_url():
    from redis import exceptions

    settings = {"redis_url": "redis://:s3cret@cache:6379/0"}
    down = diagnose(exceptions.ConnectionError("Error 111 connecting"), settings)
    assert down == Problem(
        "Redis at redis://:***@cache:6379/0 does not answer (Error 111 connecting): "
        "start it or fix REDIS_URL",
        DOWN,
    )
    refused = diagnose(exceptions.AuthenticationError("invalid password"), settings)
    assert refused is not None and refused.code == CONFIG and "REDIS_URL" in refused.message


def test_a_permission_problem_names_the_directory_setting(tmp_path):
    error = PermissionError(13, "Permission denied", str(tmp_path / "backups" / "x.tar"))
    problem = diagnose(error, {"backup_dir": str(tmp_path / "backups")})
    assert problem is not None and problem.code == CONFIG
    assert "fix BACKUP_DIR" in problem.message


def test_a_bug_keeps_its_traceback():
    assert diagnose(ValueError("a bug")) is None
    with pytest.raises(ValueError), operator_errors(None):
        raise ValueError("a bug")


def test_check_ini_accepts_a_section_name_suffix(tmp_path):
    ini = ini_with(tmp_path, UNREACHABLE)
    check_ini(f"{ini}#main")  # no error


@pytest.mark.slow
def test_the_installed_command_exits_2_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "thebot.scripts.backups.create", str(tmp_path / "x.ini")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == CONFIG
    assert result.stderr.strip().splitlines() == [
        f"error: config file '{tmp_path / 'x.ini'}' does not exist: pass the path of your "
        "ini file (thebot-init-config DIR writes one)"
    ]
