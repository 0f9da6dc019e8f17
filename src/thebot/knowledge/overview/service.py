"""The class overview of a template: one row per student graph made from it (that the
caller may see: ``access.visible_graphs_clause``), one column per lesson of the template
(top to bottom, left to right in the editor). A row holds the student's ``states`` and
``scores`` in those lessons, in column order (matched by lesson: a student graph holds a
lesson once; ``null`` where their graph lacks it). A constant number of queries, whatever
the page's size.

Each row's cells are cached (``rows.OverviewRows``: this process's memory, then the
``default`` cache region; one entry per graph) with the graph's ``progress_tag`` and the
template's column order they were computed for; a page reads the entries of its graphs
(the shared ones in one cache round trip) and queries the cells of the graphs whose entry
is missing or stale only. The tag is replaced in every transaction that
changes the graph's nodes or progress, so a stored row is never served after its graph
moved on (on PostgreSQL a row read at one tag may hold cells committed just after it:
newer, never older, and stored under a tag no later reader sees). Names come from the
page's own query, not the cache. A cache that is down costs the cells query, never a
request.

CSV: the same matrix, every row the caller may see (no pages): per student its id, name,
graph id, lessons completed, score and max score, then two columns per lesson (state,
score). Values a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.knowledge import access, states
from thebot.knowledge.models import GraphKind, GraphNode, KnowledgeGraph, Lesson, LessonProgress
from thebot.knowledge.overview.rows import OverviewRows

ORDER = [(KnowledgeGraph.id, "asc")]
_GRAPH, _LESSON, _SCORE, _MAX_SCORE = (itemgetter(i) for i in (0, 1, 3, 4))  # a cell's fields
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CACHE_FORMAT = 1  # bump when the stored cells change shape: old entries are then ignored


COLUMNS = (
    select(GraphNode.id, GraphNode.lesson_id, Lesson.title, Lesson.max_score)
    .join(Lesson, Lesson.id == GraphNode.lesson_id)
    .where(GraphNode.graph_id == bindparam("template_id"))
    .order_by(GraphNode.y, GraphNode.x, GraphNode.id)
)
PAGE_GRAPHS: Any = bindparam("graph_ids", expanding=True)
_CELL_COLUMNS = (
    LessonProgress.graph_id,
    GraphNode.lesson_id,
    LessonProgress.state,
    LessonProgress.score,
    LessonProgress.max_score,
)
# The cells of a page's graphs, per dialect (EXPLAIN on the bench's 500 x 200 graphs, 25
# students): SQLite reads the progress rows through their graph_id index and each node by
# its key (4 ms); PostgreSQL needs the nodes narrowed to the page's graphs too, or it
# hashes every node of every graph (36 ms; 4 ms narrowed). Narrowing both on SQLite makes
# it start from the nodes (8 ms).
CELLS = {
    "sqlite": select(*_CELL_COLUMNS)
    .join(GraphNode, GraphNode.id == LessonProgress.node_id)
    .where(LessonProgress.graph_id.in_(PAGE_GRAPHS)),
    "postgresql": select(*_CELL_COLUMNS)
    .join(
        GraphNode,
        (GraphNode.id == LessonProgress.node_id) & (GraphNode.graph_id == LessonProgress.graph_id),
    )
    .where(LessonProgress.graph_id.in_(PAGE_GRAPHS), GraphNode.graph_id.in_(PAGE_GRAPHS)),
}


def columns(dbsession: Session, template: KnowledgeGraph) -> list[dict[str, Any]]:
    """The template's lessons, in editor order, with their (stored) maximum scores."""
    dbsession.flush()
    rows = dbsession.connection().execute(COLUMNS, {"template_id": template.id}).all()
    return [
        {"node_id": node_id, "lesson_id": lesson_id, "title": title, "max_score": best}
        for node_id, lesson_id, title, best in rows
    ]


def graphs_statement(
    viewer: User, template: KnowledgeGraph, filters: dict[str, Any]
) -> tuple[Select, dict[str, Any]]:
    """The rows of the overview ``viewer`` may see (a statement built once per rule set and
    filter, and its parameters)."""
    params = {"template_id": template.id, "viewer_id": viewer.id}
    if "student" in filters:
        params["student"] = filters["student"]
    return _graphs(access.viewer_kind(viewer), "student" in filters), params


@functools.cache
def _graphs(kind: str, by_student: bool) -> Select:
    stmt = (
        select(
            KnowledgeGraph.id,
            KnowledgeGraph.student_id,
            KnowledgeGraph.progress_tag,
            User.username,
            User.first_name,
            User.last_name,
        )
        .join(User, User.id == KnowledgeGraph.student_id)
        .where(
            KnowledgeGraph.kind == GraphKind.STUDENT.value,
            KnowledgeGraph.template_id == bindparam("template_id"),
            access.visible_graphs_template(kind),
        )
    )
    if by_student:
        stmt = stmt.where(KnowledgeGraph.student_id == bindparam("student"))
    return stmt


def matrix(
    dbsession: Session,
    lessons: list[dict[str, Any]],
    graphs: Iterable[Any],
    stored: OverviewRows | None = None,
) -> list[dict[str, Any]]:
    """One row per graph: ``states`` and ``scores`` under ``lessons`` (``null`` where the
    graph lacks the lesson) and the row's totals over those lessons; the cells from
    ``stored`` where it holds them at the graph's tag, else from one Core query over the
    other graphs (then stored)."""
    order = [lesson["lesson_id"] for lesson in lessons]
    layout = hashlib.blake2b(repr((CACHE_FORMAT, order)).encode(), digest_size=12).hexdigest()
    rows: dict[int, dict[str, Any]] = {}
    tags: dict[int, int] = {}
    for graph in graphs:
        name = f"{graph.first_name} {graph.last_name}".strip() or graph.username
        rows[graph.id] = {
            "graph_id": graph.id,
            "student": {"id": graph.student_id, "name": name},
        }
        tags[graph.id] = graph.progress_tag
    if not rows:
        return []
    found = stored.found(tags, layout) if stored is not None else {}
    missing = [graph_id for graph_id in rows if graph_id not in found]
    if missing:
        computed = _computed_cells(dbsession, order, missing)
        if stored is not None:
            stored.store({gid: (tags[gid], layout, computed[gid]) for gid in missing})
        found.update(computed)
    for graph_id, row in rows.items():
        row.update(found[graph_id])
    return list(rows.values())


def _computed_cells(
    dbsession: Session, order: list[int], graph_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """Each graph's cells from the database: one Core query (no ORM rows: a page of 50
    students x 200 lessons is 10,000 of them)."""
    width = len(order)
    out: dict[int, dict[str, Any]] = {
        graph_id: {
            "completed": 0,
            "score": 0,
            "max_score": 0,
            "states": [None] * width,
            "scores": [None] * width,
        }
        for graph_id in graph_ids
    }
    dbsession.flush()
    conn = dbsession.connection()
    stmt = CELLS.get(conn.dialect.name, CELLS["postgresql"])
    cells = list(conn.execute(stmt, {"graph_ids": graph_ids}).all())
    # Per graph, its cells by lesson picked in column order: the per-cell work runs in C
    # (sort, groupby, dict(zip), map) and a few comprehensions (5,000 cells a page).
    cells.sort(key=_GRAPH)
    for graph_id, group in groupby(cells, _GRAPH):
        found = list(group)
        picked = list(map(dict(zip(map(_LESSON, found), found, strict=True)).get, order))
        present = [cell for cell in picked if cell is not None]  # lessons of the template
        states_ = [None if cell is None else cell[2] for cell in picked]
        out[graph_id] = {
            "completed": states_.count(states.COMPLETED),
            "score": sum(map(_SCORE, present)),
            "max_score": sum(map(_MAX_SCORE, present)),
            "states": states_,
            "scores": [None if cell is None else cell[3] for cell in picked],
        }
    return out


def template_json(template: KnowledgeGraph) -> dict[str, Any]:
    return {"id": template.id, "title": template.title, "subject_id": template.subject_id}


def safe(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(lessons: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["student_id", "student", "graph_id", "completed", "score", "max_score"]
    for lesson in lessons:
        header += [f"{lesson['title']} (state)", f"{lesson['title']} (score)"]
    writer.writerow([safe(cell) for cell in header])
    for row in rows:
        line: list[Any] = [
            row["student"]["id"],
            row["student"]["name"],
            row["graph_id"],
            row["completed"],
            row["score"],
            row["max_score"],
        ]
        for state, score in zip(row["states"], row["scores"], strict=True):
            line += [state, score] if state is not None else ["", ""]
        writer.writerow([safe(cell) for cell in line])
    return out.getvalue()
