"""README.rst stays true: every setting documented, the test command is CI's."""

from __future__ import annotations

from pathlib import Path

from thebot.settings import SETTINGS

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.rst").read_text()


def test_every_setting_is_in_the_configuration_table():
    missing = [
        s.env for s in SETTINGS if f"``{s.env}``" not in README or f"``{s.name}``" not in README
    ]
    assert missing == [], f"document these settings in README.rst: {missing}"


def test_ci_runs_the_readme_test_command():
    assert 'pip install -e ".[testing,postgresql]" && pytest' in README
    ci = (REPO / ".ci" / "run").read_text()
    assert 'pip" install -q -e ".[testing,postgresql]"' in ci
    assert "\npytest\n" in ci and 'THEBOT_TEST_REDIS_URL="$REDIS_URL" pytest' in ci


def test_every_console_script_is_documented():
    setup = (REPO / "setup.py").read_text()
    scripts = [
        line.split("=")[0].strip().strip('"')
        for line in setup.splitlines()
        if "= thebot.scripts." in line
    ]
    assert scripts
    assert [s for s in scripts if f"``{s} " not in README] == []
