"""Audit action names follow one scheme, ``<area>.<verb>``: ``backup.requested``, not
``backup_requested``. ``audit`` refuses any other name at run time; this module also reads
every call in the source (so a name no test records is checked too) and checks the data
migration that renamed the rows recorded before the scheme."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from thebot.audit import ACTION_NAME, checked_action
from thebot.db.migrate import alembic_config
from thebot.settings import load_settings

SRC = Path(__file__).resolve().parents[1] / "src" / "thebot"
MIGRATION = next((SRC.parent.parent / "alembic" / "versions").glob("*_audit_action_names.py"))


def _load_migration():
    spec = importlib.util.spec_from_file_location("audit_action_names", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _wrappers(tree: ast.Module) -> dict[str, int]:
    """Functions that pass one of their parameters on as an audit action: name -> index."""
    found = {"audit": 1}
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        params = [a.arg for a in fn.args.args]
        for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
            if _callee(call) == "audit" and len(call.args) > 1:
                action = call.args[1]
                if isinstance(action, ast.Name) and action.id in params:
                    found[fn.name] = params.index(action.id)
    return found


def _strings(node: ast.AST, constants: dict[str, ast.AST]) -> list[str]:
    """The action names an expression can take (an f-string's fields read as ``x``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) + _strings(node.orelse, constants)
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)]
    if isinstance(node, ast.Name) and node.id in constants:
        return _strings(constants[node.id], constants)
    return []


def recorded_action_names() -> dict[str, list[str]]:
    """Every action name written in an ``audit`` call (or a wrapper's) in the source."""
    names: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        wrappers = _wrappers(tree)
        constants = {
            target.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            index = wrappers.get(_callee(call) or "")
            if index is None or len(call.args) <= index:
                continue
            for name in _strings(call.args[index], constants):
                names.setdefault(name, []).append(f"{path.relative_to(SRC)}:{call.lineno}")
    return names


def test_every_action_name_in_the_source_is_area_dot_verb():
    names = recorded_action_names()
    assert len(names) > 50  # the scan finds the calls (a broken scan must not pass)
    assert {"backup.requested", "auth.rate_limited", "parent_link.created"} <= set(names)
    wrong = {name: where for name, where in names.items() if not ACTION_NAME.fullmatch(name)}
    assert wrong == {}


@pytest.mark.parametrize("name", ["backup_requested", "Backup.requested", "a.b.c", "backup."])
def test_audit_refuses_a_name_outside_the_scheme(name):
    with pytest.raises(ValueError, match="<area>.<verb>"):
        checked_action(name)


def test_the_migration_renames_to_names_in_the_scheme():
    renamed = _load_migration().RENAMED
    assert all(ACTION_NAME.fullmatch(new) for new in renamed.values())
    assert not any(ACTION_NAME.fullmatch(old) for old in renamed)
    assert len(set(renamed.values())) == len(renamed)  # the downgrade can undo it


def test_the_migration_renames_recorded_rows_and_back(scratch_database_url):
    migration = _load_migration()
    config = alembic_config(load_settings({"database_url": scratch_database_url}, environ={}))
    command.upgrade(config, migration.down_revision)
    engine = create_engine(scratch_database_url)
    try:
        with engine.begin() as conn:
            for action in ("backup_requested", "rate_limited", "auth.login", "payment_succeeded"):
                conn.execute(
                    text(
                        "INSERT INTO audit_event (created_at, action, details) VALUES "
                        "(CURRENT_TIMESTAMP, :action, '{}')"
                    ),
                    {"action": action},
                )
        command.upgrade(config, migration.revision)
        with engine.connect() as conn:
            after = conn.execute(text("SELECT action FROM audit_event ORDER BY id")).scalars()
            assert list(after) == [
                "backup.requested",
                "auth.rate_limited",
                "auth.login",
                "payment.succeeded",
            ]
        command.downgrade(config, migration.down_revision)
        with engine.connect() as conn:
            before = conn.execute(text("SELECT action FROM audit_event ORDER BY id")).scalars()
            assert list(before) == [
                "backup_requested",
                "rate_limited",
                "auth.login",
                "payment_succeeded",
            ]
    finally:
        engine.dispose()
