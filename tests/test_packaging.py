"""The wheel alone (no checkout) carries the ini templates, migrations, templates and static."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


# Builds a wheel and installs it into a fresh virtualenv: minutes, not seconds.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("thebot-*.whl")
    return path


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "thebot/config_templates/development.ini",
        "thebot/config_templates/production.ini",
        "thebot/migrations/env.py",
        "thebot/migrations/script.py.mako",
        "thebot/templates/status_page.jinja2",
        "thebot/templates/api_docs.jinja2",  # /api/docs/ (Swagger UI itself: its own wheel)
        "thebot/static/api_docs.js",
        "thebot/openapi/document.py",
        "thebot/static/status.css",
        "thebot/accounts/credentials/data/common-passwords.txt.gz",
    ):
        assert required in names, required
    assert any(n.startswith("thebot/migrations/versions/") and n.endswith(".py") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "main = thebot:main" in text and "thebot-init-config" in text


def test_installed_wheel_works_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    work = tmp_path / "operator"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    for name in ("DATABASE_URL", "SECRET_KEY", "DEBUG", "REDIS_URL"):
        env.pop(name, None)

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=work, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    where = run("-c", "import thebot; print(thebot.__file__)")
    assert where.startswith(str(target)), where
    run("-m", "thebot.scripts.init_config", str(work))
    run("-m", "alembic", "-c", str(work / "development.ini"), "upgrade", "head")
    assert (work / "thebot.sqlite").exists()
    live = run("-m", "thebot.scripts.check_config", str(work / "development.ini"), "--live")
    assert "is not THE_BOT" not in live, live  # the installed metadata is the wheel's: ours
    assert "OK: database: SQLite" in live and "(head)" in live
    out = run(
        "-c",
        "from pyramid.paster import get_app; from webtest import TestApp;"
        "app = TestApp(get_app('development.ini'), extra_environ={'HTTP_HOST': 'localhost'});"
        "print(app.get('/api/system/health/live/').json['status']);"
        "print(app.get('/api/system/health/ready/').json['status']);"
        "print(app.get('/api/system/status-page/').status_int)",
    )
    assert out.split() == ["alive", "ready", "200"]


def test_wheel_metadata_is_ours_version_1_and_not_for_the_public_index(wheel):
    """Version 1.0.0 (above the unrelated ``thebot`` 0.4.1 on pypi.org), and the marker
    ``thebot-check-config`` looks for: the installed wheel draws no warning from it."""
    from email.parser import Parser

    from thebot.scripts.check_config import MARKER_CLASSIFIER, distribution_warnings

    archive = zipfile.ZipFile(wheel)
    name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    meta = Parser().parsestr(archive.read(name).decode())
    assert (meta["Name"], meta["Version"]) == ("thebot", "1.0.0")
    assert wheel.name == "thebot-1.0.0-py3-none-any.whl"
    assert MARKER_CLASSIFIER in meta.get_all("Classifier")
    assert distribution_warnings(meta) == []
