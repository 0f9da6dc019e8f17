"""The layout rules of README "Contributing", checked: every folder of code is a package
(a folder without ``__init__.py`` is left out of the wheel), modules stay small, folders
stay short, and no sub-domain hides behind file-name prefixes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "thebot"
MAX_LINES = 400
MAX_MODULES = 12
# The core folder holds the toolkit every feature uses (README "Contributing" lists it).
WIDER = {SRC: 15}


def code_folders() -> list[Path]:
    return sorted({path.parent for path in SRC.rglob("*.py") if "__pycache__" not in path.parts})


def test_every_folder_of_code_is_a_package() -> None:
    missing = [str(folder) for folder in code_folders() if not (folder / "__init__.py").exists()]
    assert missing == []


def test_no_module_is_over_the_size_limit() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_folder_holds_too_many_modules() -> None:
    crowded = {
        str(folder.relative_to(SRC.parent)): n
        for folder in code_folders()
        if (n := len(list(folder.glob("*.py")))) > WIDER.get(folder, MAX_MODULES)
    }
    assert crowded == {}


def test_no_sub_domain_is_spelled_as_file_name_prefixes() -> None:
    """``lesson_views.py`` beside ``lesson_schemas.py`` is a ``lessons/`` package."""
    kinds = {"views", "schemas", "service", "resources", "responses", "reads", "tasks", "models"}
    prefixed = []
    for folder in code_folders():
        stems = [path.stem for path in folder.glob("*.py")]
        prefixes = Counter(
            stem.rsplit("_", 1)[0]
            for stem in stems
            if "_" in stem and stem.rsplit("_", 1)[1] in kinds
        )
        prefixed += [f"{folder.name}/{p}_*" for p, n in prefixes.items() if n >= 1]
    assert prefixed == []


def test_test_modules_have_unique_names() -> None:
    """Test folders are not packages: two ``test_x.py`` would clash when collected together."""
    tests = Path(__file__).resolve().parent
    names = Counter(path.name for path in tests.rglob("test_*.py"))
    assert [name for name, n in names.items() if n > 1] == []
