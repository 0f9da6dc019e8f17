"""``pytest -m "not slow"`` is the quick loop: every test that starts a subprocess (itself, or
through a fixture of its module) carries the ``slow`` marker, and the marker is registered."""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SUBPROCESS_CALLS = {"run", "Popen", "check_call", "check_output", "call"}


def starts_subprocess(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Attribute)
        and n.attr in SUBPROCESS_CALLS
        and isinstance(n.value, ast.Name)
        and n.value.id == "subprocess"
        for n in ast.walk(node)
    )


def is_slow_mark(node: ast.expr) -> bool:
    return "mark.slow" in ast.unparse(node)


def unmarked_subprocess_tests(tree: ast.Module) -> list[str]:
    module_slow = any(
        isinstance(stmt, ast.Assign)
        and any(getattr(t, "id", None) == "pytestmark" for t in stmt.targets)
        and is_slow_mark(stmt.value)
        for stmt in tree.body
    )
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    spawning = {f.name for f in functions if starts_subprocess(f)}
    # A fixture that uses a spawning fixture spawns too (one level is what the tests use).
    spawning |= {f.name for f in functions if {a.arg for a in f.args.args} & spawning}
    return [
        f.name
        for f in functions
        if f.name.startswith("test_")
        and f.name in spawning
        and not module_slow
        and not any(is_slow_mark(d) for d in f.decorator_list)
    ]


def test_every_subprocess_test_is_marked_slow() -> None:
    unmarked = {
        str(path.relative_to(TESTS)): names
        for path in sorted(TESTS.rglob("test_*.py"))
        if (names := unmarked_subprocess_tests(ast.parse(path.read_text())))
    }
    assert not unmarked, f"start a subprocess without @pytest.mark.slow: {unmarked}"


def test_the_check_finds_an_unmarked_subprocess_test() -> None:
    source = (
        "import subprocess\nimport pytest\n\n"
        "@pytest.fixture\ndef server():\n    subprocess.Popen(['x'])\n\n"
        "def test_direct():\n    subprocess.run(['x'])\n\n"
        "def test_through_a_fixture(server):\n    pass\n\n"
        "@pytest.mark.slow\ndef test_marked():\n    subprocess.run(['x'])\n\n"
        "def test_quick():\n    pass\n"
    )
    expected = ["test_direct", "test_through_a_fixture"]
    assert unmarked_subprocess_tests(ast.parse(source)) == expected
    marked_module = "import pytest\npytestmark = pytest.mark.slow\n" + source
    assert unmarked_subprocess_tests(ast.parse(marked_module)) == []


def test_the_slow_marker_is_registered() -> None:
    # --strict-markers is on: an unregistered marker would be a collection error.
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(TESTS.parent / "tox.ini")
    assert "--strict-markers" in parser["pytest"]["addopts"]
    markers = [line.split(":")[0].strip() for line in parser["pytest"]["markers"].splitlines()]
    assert "slow" in markers


def test_readme_documents_the_quick_and_the_full_loop() -> None:
    readme = (TESTS.parent / "README.rst").read_text()
    assert '``pytest -m "not slow"``' in readme
    assert "The full loop is plain ``pytest``" in readme
