"""README.rst stays true: every setting documented, the test command is CI's."""

from __future__ import annotations

import re
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


def section(title: str) -> str:
    """The text of a top-level README section (its title underlined with ``=``)."""
    start = README.index(f"\n{title}\n{'=' * len(title)}\n")
    end = README.find("\n=====", start + len(title) + 2)
    return README[start : README.rfind("\n", 0, end) if end != -1 else len(README)]


def test_every_repository_file_the_readme_names_exists():
    """A path with a folder in it, or a Markdown document, is a file of this repository."""
    named = set(re.findall(r"``([\w./-]+\.(?:md|rst|py|ini|yml|yaml|toml|cfg|json))``", README))
    paths = {p for p in named if ("/" in p and not p.startswith("/")) or p.endswith(".md")}
    missing = [p for p in sorted(paths) if not any((d / p).exists() for d in (REPO, REPO / "src"))]
    assert missing == [], f"README.rst names files that are not in the repository: {missing}"


def test_api_reference_points_at_the_served_documents():
    api = section("HTTP API")
    assert "``GET /api/docs/``" in api and "``GET /api/openapi.json``" in api


def test_install_is_from_a_wheel_or_a_private_index_with_the_live_pre_flight():
    install = section("Install")
    assert "never from the public index" in install
    installs = [x for x in install.splitlines() if x.lstrip().startswith("pip install")]
    assert installs and all(".whl" in x or "--index-url " in x for x in installs)
    assert "DB_SSLMODE=require" in install
    assert "thebot-check-config /etc/thebot/production.ini --live" in install
    assert "First hour in production\n------------------------" in install
    version = re.search(r'version="([^"]+)"', (REPO / "setup.py").read_text()).group(1)
    assert f"thebot-{version}-py3-none-any.whl" in install, "the documented wheel is this version"
