"""Readers for the Docker files, for tests/test_docker_files.py (no Docker engine needed).

A small Dockerfile parser (line continuations, comments, exec form, stages), Docker's
``.dockerignore`` matching, compose's ``${VAR:-default}``/``${VAR:?error}`` interpolation, a
simulated build context, and what ``setup.py`` and the packaged ``production.ini`` declare.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import json
import posixpath
import re
import shlex
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from thebot.scripts import init_config

REPO = Path(__file__).resolve().parents[1]
INSTRUCTIONS = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK"}
    | {"LABEL", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)


# --- Dockerfile -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int

    def split(self) -> tuple[dict[str, str], str]:
        """Leading ``--flag=value`` options, and the rest of the arguments."""
        flags: dict[str, str] = {}
        rest = self.args
        while m := re.match(r"--([\w-]+)(?:=(\S*))?\s+", rest):
            flags[m.group(1)] = m.group(2) or ""
            rest = rest[m.end() :]
        return flags, rest

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, None for the shell form."""
        _, rest = self.split()
        if self.keyword == "HEALTHCHECK":
            rest = re.sub(r"^CMD\s+", "", rest)
        if not rest.startswith("["):
            return None
        value = json.loads(rest)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), self
        return value

    def words(self) -> list[str]:
        form = self.exec_form()
        return form if form is not None else shlex.split(self.split()[1])


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and blank lines dropped.

    As in Docker, a comment line inside a continued instruction is removed, not ended on.
    """
    assert not re.search(r"(?mi)^#\s*escape\s*=", text), "the parser assumes escape=\\"
    instructions: list[Instruction] = []
    start, parts = 0, []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        continued = line.endswith("\\")
        parts.append(line[:-1].strip() if continued else line)
        start = start or number
        if not continued:
            keyword, _, args = " ".join(parts).partition(" ")
            assert "<<" not in args or keyword != "RUN", f"line {start}: no heredocs here"
            instructions.append(Instruction(keyword.upper(), args.strip(), start))
            start, parts = 0, []
    assert not parts, "the Dockerfile ends inside a continued instruction"
    return instructions


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name} has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in instruction.words():
                key, sep, value = word.partition("=")
                assert sep, f"line {instruction.line}: use ENV KEY=value"
                values[key] = value
        return values


def stages_of(instructions: list[Instruction]) -> list[Stage]:
    """Split at each FROM, resolving the ARGs declared before the first one."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.words()
            assert len(words) in (1, 3), instruction
            base = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], words[0])
            name = words[2] if len(words) == 3 else str(len(stages))
            assert len(words) == 1 or words[1].upper() == "AS", instruction
            stages.append(Stage(base, name, []))
        elif not stages:
            assert instruction.keyword == "ARG", f"line {instruction.line}: FROM comes first"
            key, _, value = instruction.args.partition("=")
            global_args[key] = value
        else:
            stages[-1].instructions.append(instruction)
    return stages


def healthcheck_code(runtime: Stage) -> str:
    healthcheck = runtime.last("HEALTHCHECK")
    flags, _ = healthcheck.split()
    assert {"interval", "timeout", "start-period", "retries"} <= set(flags)
    argv = healthcheck.exec_form()
    assert argv[:2] == ["python", "-c"] and len(argv) == 3, argv
    return argv[2]


def run_healthcheck(code: str, monkeypatch, answer) -> tuple[int, list[Any]]:
    """Run the HEALTHCHECK's code with ``urlopen`` replaced by ``answer(request)``."""
    seen: list[Any] = []

    def fake_urlopen(request, timeout=None):
        seen.append(request)
        return SimpleNamespace(status=answer(request))

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(SystemExit) as stopped:
        exec(compile(code, "HEALTHCHECK", "exec"), {})  # noqa: S102 (our own Dockerfile)
    return int(stopped.value.code or 0), seen


# --- .dockerignore and the build context ---------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax: ``**`` any number of directories, ``*``/``?`` in one name."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            out += "[" + ("^" + body[1:] if body.startswith(("!", "^")) else body) + "]"
            i = end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = posixpath.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((negate, _pattern_regex(pattern)))
    return rules


def excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negate, regex in rules:
        if any(regex.match(c) for c in candidates):
            result = not negate
    return result


def is_junk(path: str) -> bool:
    """Files a build never needs: bytecode, egg-info, local databases."""
    return bool(
        re.search(r"(^|/)(__pycache__|[^/]+\.egg-info)(/|$)|\.py[cod]$|\.sqlite(-\w+)?$", path)
    )


def context_copies(stage: Stage) -> list[tuple[str, str]]:
    """(source, destination) of the stage's COPYs from the build context."""
    pairs = []
    for copy in stage.all("COPY"):
        if "from" in copy.split()[0]:
            continue
        *sources, dest = copy.words()
        assert len(sources) == 1 or dest.endswith("/"), f"line {copy.line}: dest is a dir"
        pairs += [(posixpath.normpath(source), dest) for source in sources]
    return pairs


def make_build_context(stage: Stage, root: Path) -> None:
    """Lay out what the stage's COPYs bring, as Docker would: links kept, ignored left out."""
    rules = dockerignore_rules()

    def ignore(directory: str, names: list[str]) -> set[str]:
        base = Path(directory).relative_to(REPO).as_posix()
        return {n for n in names if excluded(f"{base}/{n}", rules)}

    for source, dest in context_copies(stage):
        if excluded(source, rules):
            continue  # Docker: "not found" (the static test names it)
        path, target = REPO / source, root / dest
        if path.is_dir():
            shutil.copytree(path, target, symlinks=True, ignore=ignore, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / path.name, follow_symlinks=False)


# --- setup.py, the packaged configuration, compose interpolation ---------------------------


def setup_keyword(name: str) -> Any:
    tree = ast.parse((REPO / "setup.py").read_text())
    assignments = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    call = next(
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup"
    )
    value = next(k.value for k in call.keywords if k.arg == name)
    if isinstance(value, ast.Name):
        value = assignments[value.id]
    return ast.literal_eval(value)


def console_scripts() -> dict[str, str]:
    """Console script -> distribution: this project's and those of its requirements."""
    scripts = {
        entry.split("=")[0].strip(): "thebot"
        for entry in setup_keyword("entry_points")["console_scripts"]
    }
    for requirement in setup_keyword("install_requires"):
        dist_name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
        for entry in importlib.metadata.distribution(dist_name).entry_points:
            if entry.group == "console_scripts":
                scripts.setdefault(entry.name, dist_name)
    return scripts


def packaged_production_ini() -> configparser.ConfigParser:
    """The production.ini ``thebot-init-config`` writes, i.e. the one in the image."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(init_config.render("production.ini"))
    return parser


def served_port() -> int:
    """The port ``pserve production.ini`` listens on: ``port``, or (PasteDeploy's ``get``)
    the ``[DEFAULT]`` value it names, ``http_port`` (overridable on pserve's command line)."""
    parser = packaged_production_ini()
    server = parser["server:main"]
    if "listen" in server:
        return int(server["listen"].rsplit(":", 1)[1])
    return int(server.get("port") or parser.defaults()[server["get port"]])


INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any, given: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` and ``$$``."""

    def substitute(m: re.Match[str]) -> str:
        name, operator, argument = m.group(1), m.group(2) or "", m.group(3) or ""
        if given.get(name) or (name in given and not operator.startswith(":")):
            return given[name]
        assert not operator.endswith("?"), f"compose would stop: {name} is required"
        return argument if operator.endswith("-") else ""

    return INTERPOLATION.sub(substitute, str(value).replace("$$", "\0")).replace("\0", "$")
