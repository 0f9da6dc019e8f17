"""The test run's environment, importable by test modules (``from testenv import ...``).

Test modules must not ``from conftest import``: every directory's conftest.py is imported as
the module ``conftest`` (tests/ is no package), so the name means whichever was loaded last.

Each test process (each ``pytest-xdist`` worker too) owns a random run id. On PostgreSQL,
``THEBOT_TEST_DATABASE_URL`` names the server only: the run creates the scratch database
``thebot_test_<id>`` there (``TEST_DATABASE_URL`` points at it; tests/conftest.py creates,
migrates and drops it), and drops nothing else. With ``THEBOT_TEST_REDIS_URL`` every key the
apps under test write starts with ``TEST_REDIS_PREFIX`` (``REDIS_KEY_PREFIX``); only those
keys are deleted at the end.
"""

from __future__ import annotations

import os
import secrets

RUN_ID = secrets.token_hex(4)
TEST_DATABASE_NAME = f"thebot_test_{RUN_ID}"
TEST_REDIS_PREFIX = f"thebot_test_{RUN_ID}:"


def _scratch(url: str | None) -> str | None:
    if not (url and url.startswith("postgresql")):
        return url  # unset (a SQLite file per run) or a SQLite URL, used as given
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=TEST_DATABASE_NAME).render_as_string(hide_password=False)


TEST_SERVER_URL = os.environ.get("THEBOT_TEST_DATABASE_URL")  # reaches the server
TEST_DATABASE_URL = _scratch(TEST_SERVER_URL)
TEST_REDIS_URL = os.environ.get("THEBOT_TEST_REDIS_URL")
TEST_HOST = "testserver"
METRICS_TOKEN = "test-metrics-token-0123456789"
PG = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))
