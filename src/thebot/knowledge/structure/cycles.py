"""The cycle check of dependencies, with the standard library's ``graphlib``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from graphlib import CycleError, TopologicalSorter
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def find_cycle(edges: Iterable[tuple[Node, Node]]) -> list[Node] | None:
    """A cycle of ``edges`` (``before -> after``), ``[a, b, ..., a]``, or ``None``."""
    edges = list(edges)
    sorter: TopologicalSorter[Node] = TopologicalSorter()
    for before, after in edges:
        sorter.add(after, before)  # ``after`` depends on ``before``
    try:
        sorter.prepare()
    except CycleError as exc:
        found: list[Node] = list(exc.args[1])
        return found if _runs_forward(found, edges) else found[::-1]
    return None


def _runs_forward(cycle: list[Node], edges: Iterable[tuple[Node, Node]]) -> bool:
    return (cycle[0], cycle[1]) in set(edges)


def closing_cycle(edges: Iterable[tuple[int, int]], new: tuple[int, int]) -> list[int] | None:
    """The cycle adding ``new`` (``from -> to``) to the acyclic ``edges`` would close, as
    node ids ``[from, to, ..., from]`` in edge direction; ``None`` when it closes none."""
    source, target = new
    if source == target:
        return [source, source]
    sorter: TopologicalSorter[int] = TopologicalSorter()
    for before, after in [*edges, new]:
        sorter.add(after, before)  # ``after`` depends on ``before``
    try:
        sorter.prepare()
    except CycleError as exc:
        found: list[int] = list(exc.args[1])
        return _from_the_new_edge(found, source, target)
    return None


def _from_the_new_edge(cycle: list[int], source: int, target: int) -> list[int]:
    """``cycle`` (first node repeated last, either direction) rotated to start with the new
    edge: the edges were acyclic before, so every cycle runs through it."""
    ring = cycle[:-1]
    for candidate in (ring, ring[::-1]):
        n = len(candidate)
        for i in range(n):
            if candidate[i] == source and candidate[(i + 1) % n] == target:
                rotated = candidate[i:] + candidate[:i]
                return [*rotated, source]
    return [*ring, ring[0]]  # not reached for an acyclic start; kept total
