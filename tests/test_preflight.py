"""``thebot-check-config --live`` and ``thebot-migrate [--check]``: reachability, server
versions, migration state, writable directories; a closed port is an error (exit 3), never
"OK"; and the warning when the installed ``thebot`` distribution is not ours."""

from __future__ import annotations

import os
import socket
from email.message import Message
from importlib import metadata

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from thebot.db.migrate import alembic_config
from thebot.scripts import check_config, migrate, preflight
from thebot.settings import load_settings

SCRIPTS = ScriptDirectory.from_config(alembic_config())
HEAD = SCRIPTS.get_current_head()
BASE = next(r.revision for r in SCRIPTS.walk_revisions() if r.down_revision is None)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dirs(tmp_path):
    paths = {name: tmp_path / name for name in ("media", "backups", "logs", "mail")}
    for path in paths.values():
        path.mkdir()
    return paths


def write_ini(tmp_path, dirs, **values):
    settings = {
        "debug": "true",
        "database_url": f"sqlite:///{tmp_path / 'live.sqlite'}",
        "media_root": dirs["media"],
        "backup_dir": dirs["backups"],
        "log_dir": dirs["logs"],
        "mail_dir": dirs["mail"],
        **values,
    }
    lines = "\n".join(f"{k} = {v}" for k, v in settings.items())
    path = tmp_path / "live.ini"
    path.write_text(f"[app:main]\nuse = egg:thebot\n{lines}\n")
    return str(path)


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_ENGINE"):
        monkeypatch.delenv(name, raising=False)


def test_live_reports_versions_migration_state_and_writable_directories(tmp_path, dirs, capsys):
    ini = write_ini(tmp_path, dirs)
    assert migrate.main([ini]) == 0
    capsys.readouterr()
    assert check_config.main([ini, "--live"]) == 0
    out = capsys.readouterr().out
    assert f"OK: database: SQLite {__import__('sqlite3').sqlite_version} at " in out
    assert f"OK: migrations: database at {HEAD} (head)" in out
    for env, folder in [("MEDIA_ROOT", "media"), ("BACKUP_DIR", "backups"), ("LOG_DIR", "logs")]:
        assert f"OK: {env} {dirs[folder]} is writable" in out
    assert "WARNING: redis: REDIS_URL is unset" in out
    assert out.rstrip().endswith("OK: the live checks found no problem.")
    assert os.listdir(dirs["backups"]) == []  # the write test leaves nothing behind


def test_a_closed_database_port_is_an_error_with_exit_3(tmp_path, dirs, capsys):
    pytest.importorskip("psycopg")
    port = closed_port()
    ini = write_ini(
        tmp_path,
        dirs,
        database_url=f"postgresql+psycopg://thebot@127.0.0.1:{port}/thebot",
        db_connect_timeout="3",
    )
    assert check_config.main([ini, "--live"]) == 3
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "database" in x and "ERROR" in x)
    assert line.startswith(
        f"ERROR: the database at postgresql+psycopg://thebot@127.0.0.1:{port}/thebot "
        "does not answer"
    )
    assert "Connection refused" in line and "fix DATABASE_URL" in line
    assert "timeouts: database 3 s, Redis 2.0 s" in out
    assert "OK: database" not in out and "OK: migrations" not in out
    assert "1 service(s) down" in out


def test_a_closed_redis_port_is_an_error_with_exit_3(tmp_path, dirs, capsys):
    port = closed_port()
    ini = write_ini(tmp_path, dirs, redis_url=f"redis://:secret@127.0.0.1:{port}/0")
    migrate.main([ini])
    capsys.readouterr()
    assert check_config.main([ini, "--live"]) == 3
    out = capsys.readouterr().out
    assert f"ERROR: Redis at redis://:***@127.0.0.1:{port}/0 does not answer" in out
    assert "secret" not in out


def test_pending_migrations_and_a_directory_that_is_a_file_are_problems(tmp_path, dirs, capsys):
    (tmp_path / "not-a-dir").write_text("")
    ini = write_ini(tmp_path, dirs, backup_dir=tmp_path / "not-a-dir")
    assert migrate.main([ini, BASE]) == 0
    capsys.readouterr()
    assert check_config.main([ini, "--live"]) == 1
    out = capsys.readouterr().out
    assert f"ERROR: migrations: database at {BASE}, head is {HEAD}: " in out
    assert f"ERROR: BACKUP_DIR {tmp_path / 'not-a-dir'} is not a directory" in out
    assert "2 live problem(s)." in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
def test_a_read_only_directory_is_not_writable(tmp_path, dirs, capsys):
    dirs["media"].chmod(0o500)
    try:
        finding = preflight.check_directory("MEDIA_ROOT", str(dirs["media"]))
    finally:
        dirs["media"].chmod(0o700)
    assert finding.status == preflight.ERROR and "is not writable" in finding.text


def test_a_missing_directory_is_not_created_by_the_check(tmp_path):
    finding = preflight.check_directory("LOG_DIR", str(tmp_path / "a" / "b"))
    assert finding.status == preflight.WARNING
    assert finding.text == (
        f"LOG_DIR {tmp_path / 'a' / 'b'} does not exist yet; it can be created in {tmp_path}"
    )
    assert not (tmp_path / "a").exists()


def test_a_missing_sqlite_file_is_not_created_by_the_check(tmp_path, dirs, capsys):
    ini = write_ini(tmp_path, dirs)
    assert check_config.main([ini, "--live"]) == 1
    assert "does not exist yet" in capsys.readouterr().out
    assert not (tmp_path / "live.sqlite").exists()


def test_migrate_check_says_where_the_database_is_and_fails_until_head(tmp_path, dirs, capsys):
    ini = write_ini(tmp_path, dirs)
    assert migrate.main([ini, BASE]) == 0
    assert f"database migrated: empty -> {BASE}" in capsys.readouterr().out
    assert migrate.main([ini, "--check"]) == 1
    out = capsys.readouterr().out
    assert f"database at {BASE}, head is {HEAD}: " in out and "pending" in out
    assert migrate.main([ini]) == 0
    assert f"database migrated: {BASE} -> {HEAD}" in capsys.readouterr().out
    assert migrate.main([ini, "--check"]) == 0
    assert f"database at {HEAD} (head)" in capsys.readouterr().out


def test_a_no_op_migrate_says_already_at_the_revision(tmp_path, dirs, capsys):
    ini = write_ini(tmp_path, dirs)
    assert migrate.main([ini]) == 0
    capsys.readouterr()
    assert migrate.main([ini]) == 0
    assert capsys.readouterr().out == f"database already at {HEAD} (head): nothing to migrate\n"
    assert migrate.main([ini, BASE]) == 0  # alembic does not downgrade with upgrade
    assert capsys.readouterr().out == f"database already at {HEAD}: nothing to migrate\n"


def test_migrate_check_on_a_database_from_a_newer_release(tmp_path, dirs, capsys):
    ini = write_ini(tmp_path, dirs)
    migrate.main([ini])
    engine = create_engine(f"sqlite:///{tmp_path / 'live.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    engine.dispose()
    capsys.readouterr()
    assert migrate.main([ini, "--check"]) == 1
    assert "database at ffffffffffff, which this release does not know" in (
        capsys.readouterr().out
    )


def test_migrate_with_the_database_down_prints_one_line_and_exits_3(tmp_path, dirs, capsys):
    pytest.importorskip("psycopg")
    port = closed_port()
    url = f"postgresql+psycopg://thebot:pw@127.0.0.1:{port}/thebot"
    ini = write_ini(tmp_path, dirs, database_url=url, db_connect_timeout="3")
    for argv in ([ini], [ini, "--check"]):
        with pytest.raises(SystemExit) as exited:
            migrate.main(argv)
        assert exited.value.code == 3
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
        assert err.startswith(
            f"error: the database at postgresql+psycopg://thebot:***@127.0.0.1:{port}/thebot "
            "does not answer"
        )


def test_migrate_and_check_config_name_a_missing_ini_in_one_line(tmp_path, capsys):
    for script in (migrate, check_config):
        with pytest.raises(SystemExit) as exited:
            script.main([str(tmp_path / "nope.ini")])
        assert exited.value.code == 2
        assert capsys.readouterr().err == (
            f"error: config file {str(tmp_path / 'nope.ini')!r} does not exist: pass the path "
            "of your ini file (thebot-init-config DIR writes one)\n"
        )


@pytest.mark.skipif(
    not (os.environ.get("THEBOT_TEST_DATABASE_URL") and os.environ.get("THEBOT_TEST_REDIS_URL")),
    reason="needs THEBOT_TEST_DATABASE_URL and THEBOT_TEST_REDIS_URL",
)
def test_live_names_the_postgresql_and_redis_versions(tmp_path, dirs):
    settings = load_settings(
        {
            "database_url": os.environ["THEBOT_TEST_DATABASE_URL"],
            "redis_url": os.environ["THEBOT_TEST_REDIS_URL"],
        },
        environ={},
    )
    database = preflight.check_database(settings)[0]
    assert database.status == preflight.OK and database.text.startswith("database: PostgreSQL ")
    (redis_finding,) = preflight.check_redis(settings)
    assert redis_finding.status == preflight.OK
    assert redis_finding.text.startswith("redis: Redis ")


def metadata_of(**fields: str | list[str]) -> Message:
    meta = Message()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            meta[name.replace("_", "-")] = item
    return meta


OURS = {
    "Name": "thebot",
    "Version": "1.0.0",
    "Author": check_config.AUTHOR,
    "Home_page": check_config.HOME_PAGE,
    "Classifier": ["Framework :: Pyramid", check_config.MARKER_CLASSIFIER],
}


def test_our_distribution_gives_no_warning():
    assert check_config.distribution_warnings(metadata_of(**OURS)) == []


def test_the_public_index_package_of_the_same_name_is_named_in_a_warning():
    chat_bot = metadata_of(
        Name="thebot", Version="0.4.1", Author="Someone Else", Home_page="https://github.com/x/y"
    )
    (warning,) = check_config.distribution_warnings(chat_bot)
    assert warning.startswith("The installed distribution 'thebot' 0.4.1 is not THE_BOT")
    assert "public index" in warning and "--index-url <private>" in warning
    assert "author 'Someone Else'" in warning
    marker_only = {k: v for k, v in OURS.items() if k != "Classifier"}
    (warning,) = check_config.distribution_warnings(metadata_of(**marker_only))
    assert "no 'Private :: Do Not Upload' classifier" in warning


def test_a_missing_distribution_is_a_warning(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "metadata", missing)
    (warning,) = check_config.distribution_warnings()
    assert "No installed distribution named 'thebot'" in warning


def test_setup_py_declares_the_marker_and_version_1():
    from pathlib import Path

    setup = (Path(__file__).resolve().parents[1] / "setup.py").read_text()
    assert 'version="1.0.0"' in setup
    for value in (check_config.MARKER_CLASSIFIER, check_config.AUTHOR, check_config.HOME_PAGE):
        assert f'"{value}"' in setup, value


def test_a_server_without_the_asked_tls_mode_is_a_problem_not_an_outage():
    from sqlalchemy.exc import OperationalError

    settings = load_settings(
        {"database_url": "postgresql://thebot:pw@db.internal/thebot", "db_sslmode": "require"},
        environ={},
    )
    refused = OperationalError(
        "connect",
        {},
        Exception(
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            "server does not support SSL, but SSL was required"
        ),
    )
    finding = preflight.problem_finding(refused, settings)
    assert finding.status == preflight.ERROR
    assert "(server does not support SSL, but SSL was required): fix DB_SSLMODE" in finding.text
    assert "pw" not in finding.text
    down = OperationalError("connect", {}, Exception("connection failed: Connection refused"))
    assert preflight.problem_finding(down, settings).status == preflight.DOWN
