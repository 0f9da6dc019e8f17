"""Test modules import the run's environment from ``testenv``, never ``from conftest``.

Every directory's conftest.py is imported as the module ``conftest`` (tests/ is no package),
so ``from conftest import X`` gets whichever conftest pytest loaded last: adding a conftest.py
to a directory broke modules collected after it. tests/backups keeps its own helpers in its
conftest.py, which is the one loaded when its modules are collected.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
OWN_CONFTEST_DIRS = {"backups"}


def imports_conftest(tree: ast.Module) -> bool:
    return any(
        (isinstance(n, ast.ImportFrom) and n.module == "conftest")
        or (isinstance(n, ast.Import) and any(a.name == "conftest" for a in n.names))
        or (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id == "__import__"
            and any(isinstance(a, ast.Constant) and a.value == "conftest" for a in n.args)
        )
        for n in ast.walk(tree)
    )


def test_no_module_imports_from_conftest() -> None:
    offenders = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "conftest.py"
        and path.relative_to(TESTS).parts[0] not in OWN_CONFTEST_DIRS
        and imports_conftest(ast.parse(path.read_text()))
    ]
    assert offenders == [], f"import these from testenv instead of conftest: {offenders}"


def test_the_check_sees_each_form() -> None:
    for source in (
        "from conftest import TEST_HOST",
        "import conftest",
        "URL = __import__('conftest').TEST_DATABASE_URL",
    ):
        assert imports_conftest(ast.parse(source)), source
    assert not imports_conftest(ast.parse("from testenv import TEST_HOST"))
