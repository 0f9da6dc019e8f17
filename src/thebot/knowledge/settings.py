"""Settings of the knowledge graph (collected into ``thebot.settings.SETTINGS``)."""

from __future__ import annotations

from thebot.settings.coercion import Setting as S
from thebot.settings.coercion import as_non_negative

SETTINGS: tuple[S, ...] = (
    S(
        "knowledge_overview_local_rows",
        "KNOWLEDGE_OVERVIEW_LOCAL_ROWS",
        2000,
        as_non_negative,
        "Class overview rows (one per student graph, a few KB each) every web process keeps "
        "in memory in front of the shared cache; ``0``: none (the shared cache only).",
    ),
)
