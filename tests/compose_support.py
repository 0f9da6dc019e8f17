"""Readers for the compose files, ``.env.example`` and ``Caddyfile``, for
tests/test_compose_files.py (no Docker engine needed).

``merge`` applies an overlay the way ``docker compose -f a.yml -f b.yml`` does for the keys
these files use; ``caddy_route`` follows the Caddyfile's ``handle`` blocks for a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from docker_support import INTERPOLATION, REPO

COMPOSE = "docker-compose.yml"
PROXY_OVERLAY = "compose.proxy.yml"
ENV_EXAMPLE = ".env.example"
CADDYFILE = "Caddyfile"
# Lists compose concatenates (duplicates dropped) instead of replacing.
APPENDED = {"ports", "volumes", "networks", "expose", "dns"}


def load(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / name).read_text())
    assert isinstance(loaded, dict), name
    return loaded


def merge(base: Any, overlay: Any, key: str = "") -> Any:
    """Compose's merge: mappings key by key, sequences of ports/volumes/networks appended
    (volumes replaced by their target), other values (``command``, ``test``) replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for k, v in overlay.items():
            merged[k] = merge(base[k], v, k) if k in base else v
        return merged
    if isinstance(base, list) and isinstance(overlay, list) and key in APPENDED:
        if key == "volumes":
            targets = {str(m).split(":")[1] for m in overlay}
            base = [m for m in base if str(m).split(":")[1] not in targets]
        return base + [item for item in overlay if item not in base]
    return overlay


def variables(text: str) -> dict[str, tuple[str, str]]:
    """``${VAR...}`` of a compose file: name -> (operator, argument)."""
    found: dict[str, tuple[str, str]] = {}
    for m in INTERPOLATION.finditer(text.replace("$$", "")):
        found.setdefault(m.group(1), (m.group(2) or "", m.group(3) or ""))
    return found


@dataclass(frozen=True)
class EnvLine:
    name: str
    value: str
    commented: bool


def env_example() -> dict[str, EnvLine]:
    """``NAME=value`` lines of .env.example, and ``# NAME=default`` lines (documented, unset)."""
    lines: dict[str, EnvLine] = {}
    for raw in (REPO / ENV_EXAMPLE).read_text().splitlines():
        m = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", raw.strip())
        if m:
            assert m.group(2) not in lines, f"{m.group(2)} is listed twice"
            lines[m.group(2)] = EnvLine(m.group(2), m.group(3).strip(), bool(m.group(1)))
    return lines


# --- Caddyfile ------------------------------------------------------------------------------


@dataclass
class Block:
    """One Caddyfile line (its words) and the block it opens, if any."""

    words: list[str]
    children: list[Block] = field(default_factory=list)


def parse_caddyfile(text: str) -> list[Block]:
    root = Block([])
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        if line == "}":
            assert len(stack) > 1, f"line {number}: unbalanced }}"
            stack.pop()
            continue
        opens = line.endswith("{")
        words = line[:-1].split() if opens else line.split()
        assert "{" not in words and "}" not in words, f"line {number}: one brace per line"
        block = Block(words)
        stack[-1].children.append(block)
        if opens:
            stack.append(block)
    assert len(stack) == 1, "the Caddyfile ends inside a block"
    return root.children


def _uncommented(text: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def placeholders(text: str) -> dict[str, str | None]:
    """``{$VAR}`` / ``{$VAR:default}`` of a Caddyfile (outside comments): name -> default."""
    found = re.finditer(r"\{\$(\w+)(:([^}]*))?\}", _uncommented(text))
    return {m.group(1): m.group(3) for m in found}


def _path_matches(pattern: str, path: str) -> bool:
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def caddy_route(site: Block, path: str) -> list[str]:
    """The terminal directive (its words) that answers ``path`` in a site block: the first
    ``handle`` whose matcher matches (Caddy sorts those with a matcher first), then, in it,
    a ``respond <path>`` that matches or the ``reverse_proxy``."""
    matchers = {
        b.words[0]: b.words[2:]
        for b in site.children
        if b.words[0].startswith("@") and b.words[1] == "path"
    }
    handles = [b for b in site.children if b.words[0] == "handle"]
    ordered = [h for h in handles if len(h.words) > 1] + [h for h in handles if len(h.words) == 1]
    for handle in ordered:
        if len(handle.words) > 1:
            matcher = handle.words[1]
            patterns = matchers[matcher] if matcher.startswith("@") else [matcher]
            if not any(_path_matches(p, path) for p in patterns):
                continue
        for directive in handle.children:
            name, args = directive.words[0], directive.words[1:]
            if name == "respond" and args and args[0].startswith("/"):
                if _path_matches(args[0], path):
                    return directive.words
            elif name in {"respond", "reverse_proxy", "redir"}:
                return directive.words
        raise AssertionError(f"handle {handle.words} answers {path} with nothing")
    raise AssertionError(f"no handle answers {path}")
