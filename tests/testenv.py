"""The test run's environment, importable by test modules (``from testenv import ...``).

Test modules must not ``from conftest import``: every directory's conftest.py is imported as
the module ``conftest`` (tests/ is no package), so the name means whichever was loaded last.
"""

from __future__ import annotations

import os

TEST_DATABASE_URL = os.environ.get("THEBOT_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("THEBOT_TEST_REDIS_URL")
TEST_HOST = "testserver"
METRICS_TOKEN = "test-metrics-token-0123456789"
PG = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))
