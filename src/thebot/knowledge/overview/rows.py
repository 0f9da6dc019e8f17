"""Where the class overview keeps computed rows between reads: a bounded least-recently-used
map in this process (``KNOWLEDGE_OVERVIEW_LOCAL_ROWS`` rows) in front of the shared
``default`` cache region (Redis in production, so every web process reuses what one
computed).

An entry is ``(progress_tag, layout, cells)``: it serves a read only while the graph's
stored tag and the template's column order are the ones it was computed for, so neither
level can serve a row after its graph moved on, and neither needs to be told. The local
level saves the shared cache's round trip and the unpickling of a page of rows (about half
of an overview's CPU on PostgreSQL + Redis). A shared cache that is down costs the cells
query, never a request (``thebot.outages``).
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache
from dogpile.cache.api import NO_VALUE

from thebot.outages import OUTAGES

OUTAGE_COMPONENT = "knowledge overview cache"
REGISTRY_KEY = "knowledge_overview_rows"

Entry = tuple[int, str, dict[str, Any]]  # (progress tag, layout, cells)


class OverviewRows:
    def __init__(self, region: Any, local_rows: int):
        self.region = region
        self.local: LRUCache[int, Entry] | None = LRUCache(local_rows) if local_rows else None
        self.lock = threading.Lock()

    def found(self, tags: dict[int, int], layout: str) -> dict[int, dict[str, Any]]:
        """The cells of the graphs (id -> current tag) stored at that tag for ``layout``."""
        found: dict[int, dict[str, Any]] = {}
        if self.local is not None:
            with self.lock:
                for graph_id, tag in tags.items():
                    entry = self.local.get(graph_id)
                    if entry is not None and entry[0] == tag and entry[1] == layout:
                        found[graph_id] = entry[2]
        rest = [graph_id for graph_id in tags if graph_id not in found]
        if rest and self.region is not None:
            shared = self._shared(rest)
            fresh = {}
            for graph_id, entry in zip(rest, shared, strict=True):
                if entry is not NO_VALUE and entry[0] == tags[graph_id] and entry[1] == layout:
                    found[graph_id] = entry[2]
                    fresh[graph_id] = entry
            self._remember(fresh)
        return found

    def store(self, entries: dict[int, Entry]) -> None:
        self._remember(entries)
        if self.region is None or not entries:
            return
        try:
            self.region.set_multi({_key(graph_id): entry for graph_id, entry in entries.items()})
        except Exception as exc:  # logged once per outage (thebot.outages)
            OUTAGES.failed(OUTAGE_COMPONENT, exc, "overview rows not stored")

    def _shared(self, graph_ids: list[int]) -> list[Any]:
        try:
            stored = self.region.get_multi([_key(graph_id) for graph_id in graph_ids])
        except Exception as exc:
            OUTAGES.failed(OUTAGE_COMPONENT, exc, "computing overview rows without it")
            return [NO_VALUE] * len(graph_ids)
        OUTAGES.recovered(OUTAGE_COMPONENT)
        return list(stored)

    def _remember(self, entries: dict[int, Entry]) -> None:
        if self.local is not None and entries:
            with self.lock:
                self.local.update(entries)


def _key(graph_id: int) -> str:
    return f"knowledge:overview:{graph_id}"


def overview_rows(registry: Any) -> OverviewRows:
    """The application's ``OverviewRows`` (made by ``thebot.knowledge.includeme``)."""
    rows: OverviewRows = registry[REGISTRY_KEY]
    return rows
