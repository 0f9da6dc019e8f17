"""The Docker files stay buildable and true to the app, checked without a Docker engine.

``Dockerfile`` is read by a small parser (line continuations, comments, exec form) and
``.dockerignore`` is matched with Docker's rules (both in ``docker_support.py``); both are
compared with ``setup.py``, the packaged ``production.ini``, the settings table and the
app's routes. The compose files: tests/test_compose_files.py.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pyramid.interfaces import IRoutesMapper

from docker_support import (
    INSTRUCTIONS,
    REPO,
    Instruction,
    Stage,
    console_scripts,
    context_copies,
    dockerignore_rules,
    excluded,
    healthcheck_code,
    is_junk,
    make_build_context,
    packaged_production_ini,
    parse_dockerfile,
    run_healthcheck,
    served_port,
    setup_keyword,
    stages_of,
)
from thebot.scripts import init_config
from thebot.settings import SETTINGS
from thebot.settings.coercion import as_list
from thebot.tweens import host_allowed

SETTING_ENVS = {s.env for s in SETTINGS if s.env}
# Variables of the interpreter and pip, not of the app.
TOOL_ENVS = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR"}
TOOL_ENVS |= {"PIP_DISABLE_PIP_VERSION_CHECK"}
BUILD_TOOLS = {"gcc", "g++", "cc", "make", "build-essential", "git", "curl", "wget", "apt-get"}


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile((REPO / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def stages(instructions: list[Instruction]) -> list[Stage]:
    return stages_of(instructions)


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


# --- Dockerfile tests -----------------------------------------------------------------------


def test_dockerfile_parses_into_known_instructions(instructions):
    unknown = [(i.line, i.keyword) for i in instructions if i.keyword not in INSTRUCTIONS]
    assert unknown == []
    assert [i.keyword for i in instructions].count("FROM") >= 2, "multi-stage build"
    for instruction in instructions:
        if instruction.keyword in {"CMD", "ENTRYPOINT", "HEALTHCHECK", "VOLUME"}:
            assert instruction.exec_form() is not None, f"line {instruction.line}: exec form"
    assert not [i for i in instructions if i.keyword == "ADD"], "COPY, not ADD"


def test_parser_joins_continuations_and_skips_comments():
    parsed = parse_dockerfile(
        'FROM x AS a\nRUN one \\\n    # a comment\n    && two\nCMD ["a", \\\n "b"]\n'
    )
    assert [(i.keyword, i.args) for i in parsed] == [
        ("FROM", "x AS a"),
        ("RUN", "one && two"),
        ("CMD", '["a", "b"]'),
    ]
    assert parsed[2].exec_form() == ["a", "b"]


def test_stages_and_copy_from_names_agree(stages):
    names = [s.name for s in stages]
    assert len(set(names)) == len(names), names
    used = set()
    for index, stage in enumerate(stages):
        for copy in stage.all("COPY"):
            flags, _ = copy.split()
            if "from" not in flags:
                continue
            source_stage = flags["from"]
            assert source_stage in names[:index], f"line {copy.line}: no earlier stage"
            used.add(source_stage)
            built = " ".join(i.args for i in stages[names.index(source_stage)].all("RUN"))
            for source in copy.words()[:-1]:
                assert source.rstrip("/") in built, f"{source} is not made in {source_stage}"
    assert used == set(names[:-1]), "every stage but the last feeds the image"
    # The venv copied from the builder points at the builder's interpreter.
    assert len({s.base for s in stages}) == 1
    # An exact release (a rebuild gets the same interpreter), or a digest.
    assert re.fullmatch(r"python:3\.1[0-3]\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", stages[-1].base)


def test_builder_builds_the_wheel_with_the_postgresql_extra(stages):
    builder = stages[0]
    commands = " ".join(i.args for i in builder.all("RUN"))
    assert "pip wheel" in commands and "/dist/thebot-*.whl" in commands
    extras = next(i.args for i in builder.all("ARG") if i.args.startswith("THEBOT_EXTRAS="))
    assert "postgresql" in extras.partition("=")[2].split(",")
    assert "postgresql" in setup_keyword("extras_require")
    # setup.py reads these files next to itself: they must be in the builder.
    copied = {w.rstrip("/") for c in builder.all("COPY") for w in c.words()[:-1]}
    setup_reads = re.findall(r'os\.path\.join\(here, "([^"]+)"\)', (REPO / "setup.py").read_text())
    assert {"setup.py", "MANIFEST.in", "src", *setup_reads} <= copied


def test_copy_sources_exist_and_are_in_the_build_context(stages):
    rules = dockerignore_rules()
    copies = [pair for stage in stages for pair in context_copies(stage)]
    assert copies
    sources = {source for source, _ in copies}
    for source, dest in copies:
        path = REPO / source
        assert path.exists(), f"COPY {source}: not in the repository"
        assert not excluded(source, rules), f"COPY {source}: excluded by .dockerignore"
        # The checkout's layout is kept, so its relative symlinks still point right.
        expected = "." if path.is_file() else source
        assert posixpath.normpath(dest) == expected, f"COPY {source} {dest}"
        if path.is_file():
            continue
        for directory, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                entry = Path(directory) / name
                relative = entry.relative_to(REPO).as_posix()
                if entry.is_symlink():
                    # Docker copies the link, not what it points at: that must be copied too.
                    target = os.path.normpath(entry.parent / os.readlink(entry))
                    target = Path(target).relative_to(REPO).as_posix()
                    assert not excluded(target, rules), f"{relative} -> excluded {target}"
                    assert any(target == s or target.startswith(s + "/") for s in sources), (
                        f"{relative} -> {target}, which no COPY brings"
                    )
                elif name in filenames:
                    assert not excluded(relative, rules) or is_junk(relative), (
                        f".dockerignore drops {relative}, which the build needs"
                    )


@pytest.mark.slow
def test_the_builder_context_makes_a_complete_wheel(stages, tmp_path):
    """The wheel the builder makes from only what it copies carries the package data."""
    context, out = tmp_path / "src", tmp_path / "dist"
    make_build_context(stages[0], context)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("thebot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = {
        "thebot/config_templates/production.ini",
        "thebot/migrations/env.py",
        "thebot/migrations/script.py.mako",
        "thebot/templates/status_page.jinja2",
        "thebot/static/status.css",
        "thebot/accounts/credentials/data/common-passwords.txt.gz",
    } - names
    assert missing == set()
    versions = {n for n in names if n.startswith("thebot/migrations/versions/")}
    assert len(versions) == len(list((REPO / "src/thebot/migrations/versions").glob("*.py")))


def test_dockerignore_keeps_junk_and_secrets_out():
    rules = dockerignore_rules()
    for path in (
        ".git/HEAD",
        ".venv/bin/python",
        "venv/bin/python",
        ".tox/py312/log",
        ".env",
        ".env.example",
        "compose.proxy.yml",
        "Caddyfile",
        "src/thebot.egg-info/PKG-INFO",
        "src/thebot/__pycache__/db.cpython-312.pyc",
        "tests/conftest.py",
        "bench/results/probes.json",
        "thebot.sqlite",
        "media/avatar.png",
        ".pytest_cache/README.md",
        ".ruff_cache/CACHEDIR.TAG",
    ):
        assert excluded(path, rules), path
    for path in ("setup.py", "src/thebot/config_templates/production.ini", "Dockerfile"):
        assert not excluded(path, rules), path


def test_runtime_has_no_build_tools_and_runs_unprivileged(runtime):
    for run in runtime.all("RUN"):
        words = set(re.findall(r"[\w.+-]+", run.args))
        assert not words & BUILD_TOOLS, f"line {run.line}: {words & BUILD_TOOLS}"
        assert "pip wheel" not in run.args and "pip install" not in run.args
    user = runtime.last("USER")
    assert user.line > max(r.line for r in runtime.all("RUN")), "USER after the last RUN"
    uid = user.args.split(":")[0]
    assert uid not in {"0", "root"}
    if uid.isdigit():
        assert any(f"--uid {uid}" in r.args for r in runtime.all("RUN")), "create that user"


def test_data_directories_are_volumes_owned_by_the_app_user(runtime):
    env = runtime.env()
    assert set(env) <= SETTING_ENVS | TOOL_ENVS, set(env) - SETTING_ENVS - TOOL_ENVS
    volume = runtime.last("VOLUME")
    volumes = set(volume.exec_form())
    for name in ("MEDIA_ROOT", "BACKUP_DIR", "MAIL_DIR", "LOG_DIR"):
        assert posixpath.isabs(env[name]), f"{name}: production wants absolute paths"
        assert env[name] in volumes, name
        prepared = [r for r in runtime.all("RUN") if env[name] in r.args and "chown" in r.args]
        assert prepared and prepared[0].line < volume.line, f"create {env[name]} first"
    # Where the packaged ini names the same setting, the two agree.
    app_main = packaged_production_ini()["app:main"]
    for spec in SETTINGS:
        if spec.env in env and spec.name in app_main:
            assert app_main[spec.name] == env[spec.env], spec.env


def test_port_config_and_command(runtime):
    assert runtime.last("EXPOSE").args.split() == [str(served_port())]
    workdir = runtime.last("WORKDIR").args
    init = [r for r in runtime.all("RUN") if "thebot-init-config" in r.args]
    assert init, "the image writes the packaged ini with thebot-init-config"
    assert f"thebot-init-config {workdir}" in init[0].args
    assert "production.ini" in init_config.FILES
    assert not runtime.all("ENTRYPOINT")
    cmd = runtime.last("CMD").exec_form()
    assert cmd == ["pserve", "production.ini"]
    scripts = console_scripts()
    assert scripts["pserve"] == "pyramid" and scripts["thebot-init-config"] == "thebot"
    assert runtime.last("STOPSIGNAL").args == "SIGINT", "pserve stops on KeyboardInterrupt"


def test_healthcheck_uses_only_the_standard_library(runtime):
    code = healthcheck_code(runtime)
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported and imported <= set(sys.stdlib_module_names), imported
    assert "curl" not in code and "wget" not in code


@pytest.mark.parametrize(
    "allowed_hosts",
    ["thebot.example.com", "api.example.com, www.example.com", ".example.com", "*.example.com"],
)
def test_healthcheck_sends_an_allowed_host(runtime, monkeypatch, allowed_hosts):
    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
    status, seen = run_healthcheck(healthcheck_code(runtime), monkeypatch, lambda r: 200)
    assert status == 0
    (request,) = seen
    host = request.get_header("Host")
    assert host and host_allowed(host, as_list(allowed_hosts)), f"Host {host!r} gets 400"
    url = urlsplit(request.full_url)
    assert (url.scheme, url.hostname, url.port) == ("http", "127.0.0.1", served_port())
    status, _ = run_healthcheck(healthcheck_code(runtime), monkeypatch, lambda r: 503)
    assert status == 1, "an unhealthy answer fails the check"


def test_healthcheck_probes_the_liveness_route(runtime, app, testapp, monkeypatch):
    code = healthcheck_code(runtime)
    path = urlsplit(re.search(r"http://[^'\"\s]+", code).group(0)).path
    routes = {r.pattern for r in app.registry.getUtility(IRoutesMapper).get_routes()}
    assert path in routes
    assert path == "/api/system/health/live/"

    def through_the_app(request):
        url = urlsplit(request.full_url)
        environ = {"HTTP_HOST": request.get_header("Host"), "REMOTE_ADDR": "127.0.0.1"}
        response = testapp.get(url.path, extra_environ=environ, expect_errors=True)
        return response.status_int

    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    status, seen = run_healthcheck(code, monkeypatch, through_the_app)
    assert status == 0 and len(seen) == 1
