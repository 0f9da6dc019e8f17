"""``thebot-create-backup``, ``thebot-verify-backup``, ``thebot-restore-backup``."""

from __future__ import annotations

import io
import logging
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from backup_helpers import snapshot
from backup_seed import change_everything, seed_every_model

from conftest import TEST_HOST, flip_byte
from thebot.backups.operations import restore
from thebot.backups.progress import TerminalProgress
from thebot.dashboards.cache import cached_dashboard
from thebot.scripts.backups import create as create_backup
from thebot.scripts.backups import restore as restore_backup
from thebot.scripts.backups import verify as verify_backup


def write_ini(site, path: Path) -> str:
    settings = site.registry.settings
    url = settings["sqlalchemy.url"].render_as_string(hide_password=False)
    path.write_text(
        "[app:main]\nuse = egg:thebot\ndebug = true\n"
        f"secret_key = {'k' * 64}\nallowed_hosts = {TEST_HOST}\n"
        f"database_url = {url}\ntask_broker = stub\nrate_limit_enabled = false\n"
        f"media_root = {site.media}\nbackup_dir = {site.backups}\n"
    )
    return str(path)


@pytest.fixture
def site(sites, tmp_path):
    site = sites("scripted")
    with site.session() as session, session.begin():
        site.ids = seed_every_model(session, site.media)
    site.ini = write_ini(site, tmp_path / "site.ini")
    return site


def test_create_list_verify_and_restore_from_the_command_line(site, capsys, monkeypatch):
    assert create_backup.main([site.ini, "--type=incremental"]) == 1
    assert "full backup first" in capsys.readouterr().err
    state = snapshot(site)
    assert create_backup.main([site.ini, "--type=full"]) == 0
    out = capsys.readouterr().out
    assert "backup #1 (full) completed" in out and "sha256" in out
    with site.session() as session, session.begin():
        change_everything(session, site.media, site.ids, 1)
    assert create_backup.main([site.ini, "--type=incremental"]) == 0
    assert create_backup.main([site.ini, "--list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in listing if line.startswith("#")][-2:] == [
        "full",
        "incremental",
    ]
    assert verify_backup.main([site.ini, "--backup-id=2"]) == 0
    assert "passed" in capsys.readouterr().out
    # No terminal to ask on, no --yes: refused, nothing changed.
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert restore_backup.main([site.ini, "--backup-id=1"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert restore_backup.main([site.ini, "--backup-id=1", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "restored backup #1" in out and "safety backup #3" in out
    assert snapshot(site, skip_actions=("backup.created", "backup.restored")) == state


def test_the_restore_question_must_be_answered_yes(site, capsys, monkeypatch):
    assert create_backup.main([site.ini]) == 0
    monkeypatch.setattr("sys.stdin", type("TTY", (io.StringIO,), {"isatty": lambda s: True})())
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert restore_backup.main([site.ini, "--backup-id=1"]) == 1
    assert "cancelled" in capsys.readouterr().err


def test_verify_fails_with_status_1_on_a_damaged_archive(site, capsys):
    assert create_backup.main([site.ini]) == 0
    path = capsys.readouterr().out.split("completed: ")[1].split()[0]
    flip_byte(Path(path), "tables/")
    assert verify_backup.main([site.ini, "--backup-id=1"]) == 1
    assert "FAILED" in capsys.readouterr().err
    assert restore_backup.main([site.ini, "--backup-id=1", "--yes"]) == 1
    assert "nothing was changed" in capsys.readouterr().err


def test_unknown_backups_are_reported(site, capsys):
    assert verify_backup.main([site.ini, "--backup-id=99"]) == 1
    assert restore_backup.main([site.ini, "--backup-id=99", "--yes"]) == 1
    assert "no backup #99" in capsys.readouterr().err


def test_restore_a_file_into_a_new_installation(site, sites, tmp_path, capsys):
    assert create_backup.main([site.ini]) == 0
    path = capsys.readouterr().out.split("completed: ")[1].split()[0]
    expected = snapshot(site, skip_actions=("backup.created",))
    target = sites("new", migrate=False)
    ini = write_ini(target, tmp_path / "new.ini")
    assert restore_backup.main([ini, f"--file={path}", "--yes"]) == 0
    assert "restored backup #1" in capsys.readouterr().out
    assert snapshot(target, skip_actions=("backup.restored",)) == expected
    assert create_backup.main([ini, "--list"]) == 0
    assert "full" in capsys.readouterr().out


def test_verify_says_trial_restore_not_running_upgrade(site, capsys, caplog):
    assert create_backup.main([site.ini, "--type=full"]) == 0
    caplog.clear()
    caplog.set_level(logging.INFO)
    assert verify_backup.main([site.ini, "--backup-id=1"]) == 0
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "Running upgrade" in m or "Context impl" in m]
    assert any(m.startswith("trial restore into a scratch database") for m in messages)


@pytest.mark.parametrize("script", [restore_backup, verify_backup])
def test_restore_and_verify_help_point_to_the_backup_list(script, capsys):
    with pytest.raises(SystemExit):
        script.main(["--help"])
    assert "thebot-create-backup INI --list" in capsys.readouterr().out


def test_progress_is_drawn_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    progress = TerminalProgress(screen)
    progress(0.42, "dumping user_account")
    progress.done()
    assert screen.getvalue().startswith("\r 42% dumping user_account")
    piped = io.StringIO()
    TerminalProgress(piped)(0.5, "x")
    assert piped.getvalue() == ""


def test_a_log_record_never_shares_the_progress_line():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    handler = logging.StreamHandler(screen)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    log = logging.getLogger("tests.backups.progress")  # its own level: whatever ran before
    log.setLevel(logging.WARNING)
    try:
        progress = TerminalProgress(screen)
        progress(0.1, "dumping user_account")
        log.warning("something to say")
        progress(0.2, "dumping user_account")
        progress.done()
        log.warning("after")
    finally:
        root.removeHandler(handler)
    assert handler.filters == []  # done() took its guard away
    lines = [line.split("\r")[-1].strip() for line in screen.getvalue().split("\n")]
    assert lines == ["WARNING something to say", "20% dumping user_account", "WARNING after", ""]


class CachedDashboard:
    """A dashboard cached in the registry the script bootstraps; ``stale()`` says whether
    the next read rebuilds it (``DataReplaced`` bumped every dashboard's generation)."""

    def __init__(self, monkeypatch):
        self.registry = None
        self.builds = 0
        real = restore_backup.open_app

        @contextmanager
        def opened(args):
            with real(args) as env:
                self.registry = env["registry"]
                self.read()  # cached before the restore runs
                yield env

        monkeypatch.setattr(restore_backup, "open_app", opened)

    def read(self) -> None:
        def build() -> dict:
            self.builds += 1
            return {"built": self.builds}

        cached_dashboard(self.registry, SimpleNamespace(id=1), "student", build)

    def stale(self) -> bool:
        before = self.builds
        self.read()
        return self.builds > before


def test_a_file_restore_forgets_every_cached_dashboard(site, sites, tmp_path, capsys, monkeypatch):
    assert create_backup.main([site.ini]) == 0
    path = capsys.readouterr().out.split("completed: ")[1].split()[0]
    target = sites("file-target")  # an installation with data, whose catalog lacks the file
    ini = write_ini(target, tmp_path / "target.ini")
    dashboard = CachedDashboard(monkeypatch)
    assert restore_backup.main([ini, f"--file={path}", "--yes"]) == 0
    assert "restored backup #" in capsys.readouterr().out
    assert dashboard.stale()


def test_a_file_already_in_the_catalog_is_restored_as_that_backup(site, capsys, monkeypatch):
    assert create_backup.main([site.ini]) == 0
    path = capsys.readouterr().out.split("completed: ")[1].split()[0]
    dashboard = CachedDashboard(monkeypatch)
    assert restore_backup.main([site.ini, f"--file={path}", "--yes"]) == 0
    assert "restored backup #1" in capsys.readouterr().out
    assert dashboard.stale()


def test_a_catalog_restore_forgets_every_cached_dashboard(site, capsys, monkeypatch):
    assert create_backup.main([site.ini]) == 0
    dashboard = CachedDashboard(monkeypatch)
    assert restore_backup.main([site.ini, "--backup-id=1", "--yes"]) == 0
    assert dashboard.stale()


def test_a_failed_restore_keeps_the_cached_dashboards(site, capsys, monkeypatch):
    assert create_backup.main([site.ini]) == 0
    path = capsys.readouterr().out.split("completed: ")[1].split()[0]
    flip_byte(Path(path), "tables/")
    dashboard = CachedDashboard(monkeypatch)
    assert restore_backup.main([site.ini, "--backup-id=1", "--yes"]) == 1
    assert restore_backup.main([site.ini, f"--file={path}", "--yes"]) == 1
    assert not dashboard.stale()  # nothing was replaced: nothing to forget


def test_restore_takes_exactly_one_source(site):
    with pytest.raises(ValueError):
        restore(site.request)
    with pytest.raises(ValueError):
        restore(site.request, backup_id=1, path=Path("x.tar"))
