"""Flat column selects read back by position: several entities' fields in one row.

Hot read paths (list pages, dashboards) select the columns their JSON needs rather than ORM
objects: no identity map, no instance state, a fraction of the CPU per row. A ``Layout``
names groups of columns (an entity, or an alias of one, and the fields taken from it),
labels them ``<group>_<field>`` so that groups never clash, and turns a row back into one
dict per group::

    PEOPLE = Layout(student=(Student, BRIEF_FIELDS), subject=(Subject, SUBJECT_BRIEF_FIELDS))
    rows = dbsession.execute(select(*PEOPLE.columns, Enrollment.id).select_from(...))
    PEOPLE.part(row, "student")  # {"id": ..., "username": ..., ...}

Columns appended after ``columns`` are read by their names (``row.id``). A group given a
third item, a label prefix, uses it instead of ``<group>_`` (``""``: the bare field names,
for a page cursor that reads its order columns by name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Layout:
    def __init__(self, **groups: tuple[Any, ...]):
        columns: list[Any] = []
        self._parts: dict[str, tuple[slice, tuple[str, ...]]] = {}
        for name, (entity, fields, *prefix) in groups.items():
            label = prefix[0] if prefix else f"{name}_"
            start = len(columns)
            columns += [getattr(entity, field).label(label + field) for field in fields]
            self._parts[name] = (slice(start, len(columns)), tuple(fields))
        self.columns = tuple(columns)

    def values(self, row: Sequence[Any], name: str) -> tuple[Any, ...]:
        return tuple(row[self._parts[name][0]])

    def part(self, row: Sequence[Any], name: str) -> dict[str, Any] | None:
        """The group's fields as a dict; ``None`` when its first field (the id, by
        convention) is NULL: an outer join that found nothing."""
        where, fields = self._parts[name]
        values = row[where]
        if values[0] is None:
            return None
        return dict(zip(fields, values, strict=True))

    def joined(self, row: Sequence[Any], name: str) -> dict[str, Any]:
        """``part`` of an inner join (or the select's own table): always there."""
        part = self.part(row, name)
        if part is None:
            raise ValueError(f"no {name} in an inner join")
        return part
