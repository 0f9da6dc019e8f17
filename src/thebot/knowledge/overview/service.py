"""The class overview of a template: one row per student graph made from it (that the
caller may see: ``access.visible_graphs_clause``), one column per lesson of the template
(top to bottom, left to right in the editor). A row holds the student's ``states`` and
``scores`` in those lessons, in column order (matched by lesson: a student graph holds a
lesson once; ``null`` where their graph lacks it). A constant number of queries, whatever
the page's size.

CSV: the same matrix, every row the caller may see (no pages): per student its id, name,
graph id, lessons completed, score and max score, then two columns per lesson (state,
score). Values a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
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

ORDER = [(KnowledgeGraph.id, "asc")]
_GRAPH, _LESSON, _SCORE, _MAX_SCORE = (itemgetter(i) for i in (0, 1, 3, 4))  # a cell's fields
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def graphs_statement(viewer: User, template: KnowledgeGraph, filters: dict[str, Any]) -> Select:
    stmt = (
        select(
            KnowledgeGraph.id,
            KnowledgeGraph.student_id,
            User.username,
            User.first_name,
            User.last_name,
        )
        .join(User, User.id == KnowledgeGraph.student_id)
        .where(
            KnowledgeGraph.kind == GraphKind.STUDENT.value,
            KnowledgeGraph.template_id == template.id,
            access.visible_graphs_clause(viewer),
        )
    )
    if "student" in filters:
        stmt = stmt.where(KnowledgeGraph.student_id == filters["student"])
    return stmt


def matrix(
    dbsession: Session, lessons: list[dict[str, Any]], graphs: Iterable[Any]
) -> list[dict[str, Any]]:
    """One row per graph: ``states`` and ``scores`` under ``lessons`` (``null`` where the
    graph lacks the lesson) and the row's totals over those lessons. The cells come from
    one Core query (no ORM rows: a page of 50 students x 200 lessons is 10,000 of them)."""
    order = [lesson["lesson_id"] for lesson in lessons]
    width = len(lessons)
    rows: dict[int, dict[str, Any]] = {}
    for graph in graphs:
        name = f"{graph.first_name} {graph.last_name}".strip() or graph.username
        rows[graph.id] = {
            "graph_id": graph.id,
            "student": {"id": graph.student_id, "name": name},
            "completed": 0,
            "score": 0,
            "max_score": 0,
            "states": [None] * width,
            "scores": [None] * width,
        }
    if not rows:
        return []
    dbsession.flush()
    conn = dbsession.connection()
    stmt = CELLS.get(conn.dialect.name, CELLS["postgresql"])
    cells = list(conn.execute(stmt, {"graph_ids": list(rows)}).all())
    # Per graph, its cells by lesson picked in column order: the per-cell work runs in C
    # (sort, groupby, dict(zip), map) and a few comprehensions (5,000 cells a page).
    cells.sort(key=_GRAPH)
    for graph_id, group in groupby(cells, _GRAPH):
        found = list(group)
        picked = list(map(dict(zip(map(_LESSON, found), found, strict=True)).get, order))
        present = [cell for cell in picked if cell is not None]  # lessons of the template
        row = rows[graph_id]
        row["states"] = [None if cell is None else cell[2] for cell in picked]
        row["scores"] = [None if cell is None else cell[3] for cell in picked]
        row["score"] = sum(map(_SCORE, present))
        row["max_score"] = sum(map(_MAX_SCORE, present))
        row["completed"] = row["states"].count(states.COMPLETED)
    return list(rows.values())


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
