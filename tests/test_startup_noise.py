"""Start-up and run-time noise an operator should not see: the ``pkg_resources`` warning,
alembic's plugin set-up lines, Dramatiq's "Results middleware" warning per run; and the line
they should see: where production ``pserve`` serves."""

from __future__ import annotations

import configparser
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from thebot.tasks import TaskSpec, _runner

REPO = Path(__file__).resolve().parents[1]

# What setuptools 80.9+ does on ``import pkg_resources`` (the venv may hold an older one):
# warn, then hand over the real module.
FAKE_PKG_RESOURCES = textwrap.dedent(
    """
    import importlib, os, sys, warnings
    warnings.warn(
        "pkg_resources is deprecated as an API. See "
        "https://setuptools.pypa.io/en/latest/pkg_resources.html.",
        UserWarning,
        stacklevel=2,
    )
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    del sys.modules[__name__]
    sys.modules[__name__] = importlib.import_module(__name__)
    """
)


def python(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pkg_resources.py").write_text(FAKE_PKG_RESOURCES)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.slow
def test_console_scripts_do_not_print_the_pkg_resources_warning(tmp_path):
    bare = python(tmp_path, "import pyramid.config")
    assert "pkg_resources is deprecated" in bare.stderr  # the warning this test stands for
    ours = python(tmp_path, "import thebot.scripts.backups.create, cornice")
    assert ours.returncode == 0, ours.stderr
    assert "pkg_resources" not in ours.stderr


def test_setup_py_keeps_setuptools_below_the_warning():
    assert '"setuptools<80.9"' in (REPO / "setup.py").read_text()


LOG_INI = (
    "[loggers]\nkeys = root, alembic\n[handlers]\nkeys = console\n[formatters]\n"
    "keys = generic\n[logger_root]\nlevel = INFO\nhandlers = console\n"
    "[logger_alembic]\nlevel = INFO\nhandlers =\nqualname = alembic\n"
    "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nformatter = generic\n"
    "[formatter_generic]\nformat = %(name)s %(message)s\n"
)


def run_with_logging_ini(tmp_path, code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter, ``sys.argv[1]`` naming an ini whose logging sections
    put alembic at INFO."""
    ini = tmp_path / "log.ini"
    ini.write_text(LOG_INI)
    result = subprocess.run(
        [sys.executable, "-c", code, str(ini)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.slow
def test_importing_alembic_after_logging_is_set_up_logs_no_plugin_lines(tmp_path):
    result = run_with_logging_ini(
        tmp_path,
        "import logging.config, sys; logging.config.fileConfig(sys.argv[1]); "
        "import thebot.backups.engine.restore",  # imports alembic before thebot.db.migrate
    )
    assert "setup plugin" not in result.stderr


@pytest.mark.slow
def test_a_console_scripts_logging_set_up_logs_no_plugin_lines(tmp_path):
    """A script imports thebot before it reads the ini's logging sections, and fileConfig
    resets the levels of the loggers under the ones it configures."""
    result = run_with_logging_ini(
        tmp_path,
        "import sys; from thebot.scripts.console import setup_script_logging; "
        "setup_script_logging(sys.argv[1]); "
        "import logging; logging.getLogger('alembic').info('configured'); "
        "import thebot.backups.engine.restore",
    )
    assert "alembic configured" in result.stderr  # the ini's logging is on
    assert "setup plugin" not in result.stderr


def test_production_pserve_lets_waitress_say_where_it_serves():
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(REPO / "production.ini")
    assert "waitress" in [k.strip() for k in ini["loggers"]["keys"].split(",")]
    section = ini["logger_waitress"]
    assert section["qualname"] == "waitress"
    assert logging.getLevelName(section["level"]) <= logging.INFO


def test_a_task_run_from_a_message_returns_nothing_to_dramatiq(app, caplog):
    spec = TaskSpec(fn=lambda request: {"sent": 3}, name="tests.returns_a_value", queue="noise")
    run = _runner(spec, app.registry)
    # A broker of its own: a Worker stopped by an earlier test stays attached to the session
    # app's broker (Dramatiq never detaches it) and would take the message from a queue
    # declared after its stop, into a work queue nobody reads (join would wait forever).
    broker = StubBroker()
    broker.add_middleware(CurrentMessage())
    broker.emit_after("process_boot")
    assert run() == {"sent": 3}  # a direct caller still gets the value
    actor = dramatiq.Actor(
        run,
        broker=broker,
        actor_name=spec.name,
        queue_name=spec.queue,
        priority=0,
        options={"max_retries": 0},
    )
    caplog.set_level(logging.WARNING)
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        actor.send()
        broker.join(spec.queue)
        worker.join()
    finally:
        worker.stop()
    assert not [r for r in caplog.records if "Results middleware" in r.getMessage()]
