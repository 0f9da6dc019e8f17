"""thebot-createsuperuser, thebot-create-demo-data and the development first start."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from thebot.accounts.credentials.passwords import verify_password
from thebot.accounts.models import ParentLink, StudentProfile, User
from thebot.audit import AuditEvent
from thebot.scripts import migrate as migrate_script
from thebot.scripts.accounts import createsuperuser
from thebot.scripts.accounts import demo_data as create_demo_data
from thebot.scripts.common import bootstrap_app

GOOD = "quiet rivers run deep 8"


def write_ini(path, **values):
    settings = {"debug": "true", "task_broker": "stub", "secret_key": "k" * 64, **values}
    lines = "\n".join(f"{k} = {v}" for k, v in settings.items())
    path.write_text(f"[app:main]\nuse = egg:thebot\n{lines}\n")
    return str(path)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "scripts.sqlite"


@pytest.fixture
def ini(tmp_path, db, capsys):
    path = write_ini(tmp_path / "dev.ini", database_url=f"sqlite:///{db}")
    assert migrate_script.main([path]) == 0
    capsys.readouterr()
    return path


def query(db, statement):
    engine = create_engine(f"sqlite:///{db}")
    try:
        with Session(engine) as session:
            return session.execute(statement).scalars().all()
    finally:
        engine.dispose()


def test_createsuperuser_from_the_environment(ini, db, monkeypatch, capsys):
    monkeypatch.setenv("THEBOT_SUPERUSER_PASSWORD", GOOD)
    assert createsuperuser.main([ini, "--email", "Boss@Example.com", "--first-name", "Anna"]) == 0
    assert "Administrator boss <boss@example.com> created." in capsys.readouterr().out
    (user,) = query(db, select(User))
    assert (user.username, user.role, user.is_staff, user.is_active) == (
        "boss",
        "admin",
        True,
        True,
    )
    assert verify_password(user.password_hash, GOOD)
    (event,) = query(db, select(AuditEvent))
    assert event.action == "account.created" and event.target_id == str(user.id)
    assert GOOD not in repr(event.details)


def test_createsuperuser_with_explicit_username(ini, db, monkeypatch):
    monkeypatch.setenv("THEBOT_SUPERUSER_PASSWORD", GOOD)
    assert createsuperuser.main([ini, "--email", "ops@example.com", "--username", "Root_Ops"]) == 0
    assert [u.username for u in query(db, select(User))] == ["root_ops"]


def test_createsuperuser_needs_the_password_variable(ini, db, monkeypatch, capsys):
    monkeypatch.delenv("THEBOT_SUPERUSER_PASSWORD", raising=False)
    assert createsuperuser.main([ini, "--email", "boss@example.com"]) == 2
    assert "THEBOT_SUPERUSER_PASSWORD" in capsys.readouterr().err
    assert query(db, select(User)) == []


def test_createsuperuser_refuses_a_weak_password_and_duplicates(ini, db, monkeypatch, capsys):
    monkeypatch.setenv("THEBOT_SUPERUSER_PASSWORD", "12345678")
    assert createsuperuser.main([ini, "--email", "boss@example.com"]) == 1
    err = capsys.readouterr().err
    assert "entirely numeric" in err and "too common" in err and "12345678" not in err
    assert query(db, select(User)) == []
    monkeypatch.setenv("THEBOT_SUPERUSER_PASSWORD", GOOD)
    assert createsuperuser.main([ini, "--email", "boss@example.com"]) == 0
    assert createsuperuser.main([ini, "--email", "BOSS@example.com", "--username", "other"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert len(query(db, select(User))) == 1


def test_createsuperuser_interactive(ini, db, monkeypatch, capsys):
    answers = iter(["chief@example.com", ""])  # email, then accept the proposed username
    passwords = iter(["one thing", "another", "chief", "chief", GOOD, GOOD])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    assert createsuperuser.main([ini]) == 0
    err = capsys.readouterr().err
    assert "The passwords differ" in err and "too short" in err
    (user,) = query(db, select(User))
    assert user.username == "chief" and verify_password(user.password_hash, GOOD)


def test_createsuperuser_without_a_terminal_says_how_to_automate(ini, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert createsuperuser.main([ini]) == 2
    assert "--email" in capsys.readouterr().err


def printed_credentials(out):
    return dict(re.findall(r"^ \w+\s+(demo_\w+)\s+\S+@\S+\s+(\S+)$", out, re.MULTILINE))


def test_create_demo_data_is_idempotent_and_prints_passwords_once(ini, db, capsys):
    assert create_demo_data.main([ini]) == 0
    credentials = printed_credentials(capsys.readouterr().out)
    assert set(credentials) == {
        "demo_admin",
        "demo_teacher",
        "demo_tutor",
        "demo_student",
        "demo_parent",
    }
    users = {u.username: u for u in query(db, select(User))}
    assert {u.role for u in users.values()} == {"admin", "teacher", "tutor", "student", "parent"}
    for username, password in credentials.items():
        assert verify_password(users[username].password_hash, password)
    (profile,) = query(db, select(StudentProfile))
    assert profile.tutor_id == users["demo_tutor"].id
    (link,) = query(db, select(ParentLink))
    assert (link.student_id, link.parent_id) == (users["demo_student"].id, users["demo_parent"].id)

    assert create_demo_data.main([ini]) == 0
    out = capsys.readouterr().out
    assert "exist already" in out and printed_credentials(out) == {}
    assert not any(password in out for password in credentials.values())
    assert len(query(db, select(User))) == 5
    assert len(query(db, select(ParentLink))) == 1
    actions = [e.action for e in query(db, select(AuditEvent))]
    assert actions == ["account.demo_created"]


def test_create_demo_data_records_the_links_it_makes_as_people_changed(
    ini, db, capsys, monkeypatch
):
    """Dashboards cached in Redis by running servers learn that the demo student gained a
    tutor and a parent (the same event as the accounts views record)."""
    from thebot.accounts import events as changes

    reported = []
    record = changes.record
    monkeypatch.setattr(
        changes, "record", lambda session, event: (reported.append(event), record(session, event))
    )
    assert create_demo_data.main([ini]) == 0
    (student,) = query(db, select(User).where(User.role == "student"))
    assert reported == [changes.PeopleChanged(student_ids=(student.id,))]
    reported.clear()
    assert create_demo_data.main([ini]) == 0  # nothing new: nothing to report
    assert reported == []


def test_development_first_start_creates_demo_accounts_once(tmp_path, capsys):
    db = tmp_path / "first.sqlite"
    ini = write_ini(tmp_path / "first.ini", database_url=f"sqlite:///{db}", auto_migrate="true")
    bootstrap_app(ini)["closer"]()
    captured = capsys.readouterr()
    assert "development first start" in captured.err and captured.out == ""
    assert len(printed_credentials(captured.err)) == 5
    assert len(query(db, select(User))) == 5
    bootstrap_app(ini)["closer"]()
    assert "demo accounts" not in capsys.readouterr().err
    assert len(query(db, select(User))) == 5


def test_no_demo_accounts_outside_debug(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("thebot.settings.validate_settings", lambda settings: [])
    db = tmp_path / "prod.sqlite"
    ini = write_ini(
        tmp_path / "prod.ini", database_url=f"sqlite:///{db}", auto_migrate="true", debug="false"
    )
    bootstrap_app(ini)["closer"]()
    assert "demo accounts" not in capsys.readouterr().err
    assert query(db, select(User)) == []


@pytest.fixture
def production_ini(tmp_path, db, monkeypatch, capsys):
    monkeypatch.setattr("thebot.settings.validate_settings", lambda settings: [])
    path = write_ini(tmp_path / "prod.ini", database_url=f"sqlite:///{db}", debug="false")
    assert migrate_script.main([path]) == 0
    capsys.readouterr()
    return path


def test_create_demo_data_refuses_with_debug_off(production_ini, db, capsys):
    assert create_demo_data.main([production_ini]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "DEBUG is off" in line and "--force" in line
    assert captured.out == ""
    assert query(db, select(User)) == []
    assert query(db, select(AuditEvent)) == []


def test_create_demo_data_with_force_warns_first(production_ini, db, capsys):
    assert create_demo_data.main([production_ini, "--force"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("WARNING: DEBUG is off")
    assert len(printed_credentials(captured.out)) == 5
    assert len(query(db, select(User))) == 5
