"""The feature packages, named (core imports no feature), and their modules found by name."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

# Feature packages, in include order: each has ``includeme`` and may have ``models.py`` and
# ``settings.py`` (a ``SETTINGS`` tuple). Named, not imported: core imports no feature.
FEATURES = (
    "thebot.accounts",
    "thebot.realtime",  # before the features that mark events real-time or add actions
    "thebot.catalog",
    "thebot.media",
    "thebot.materials",
    "thebot.dashboards",
    "thebot.scheduling",
    "thebot.assignments",
    "thebot.system",
    "thebot.notifications",
    "thebot.backups",
    "thebot.payments",
    "thebot.chat",
    "thebot.knowledge",
)


def feature_modules(leaf: str) -> list[Any]:
    """Each feature's ``<feature>.<leaf>`` module, imported by name, in feature order."""
    found = []
    for feature in FEATURES:
        if importlib.util.find_spec(f"{feature}.{leaf}") is not None:
            found.append(importlib.import_module(f"{feature}.{leaf}"))
    return found
