"""Cursor pagination: ``?limit=`` (default 50, max 200) and an opaque ``?cursor=``.

Lists are ordered by one or more columns ending with the primary key; the cursor carries the
last row's values of those columns, so each page is one indexed range query (keyset).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import colander
from sqlalchemy import Select, Subquery, and_, bindparam, or_
from sqlalchemy.orm import Session

from thebot.api import MAX_ID
from thebot.errors import APIProblem

if TYPE_CHECKING:
    from thebot.api import Request

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PaginationQuery(colander.MappingSchema):
    """Mix into a querystring schema: ``limit`` and ``cursor``."""

    limit = colander.SchemaNode(
        colander.Integer(), validator=colander.Range(1, MAX_LIMIT), missing=DEFAULT_LIMIT
    )
    cursor = colander.SchemaNode(colander.String(), missing=None)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise APIProblem(400, "Invalid cursor.", errors=[_cursor_error()]) from exc
    if not isinstance(values, list) or len(values) != count:
        raise APIProblem(400, "Invalid cursor.", errors=[_cursor_error()])
    return values


def _cursor_error() -> dict[str, str]:
    return {"location": "querystring", "name": "cursor", "description": "Invalid cursor"}


def paginate(
    request: Request,
    dbsession: Session,
    stmt: Select,
    order: Sequence[tuple[Any, str]],
    *,
    limit: int,
    cursor: str | None,
    params: dict[str, Any] | None = None,
    rows: Callable[[Subquery], Select] | None = None,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` for one page. ``order``: (column, "asc"|"desc") pairs ending in a unique key.

    With ``params``, ``stmt`` is a template built once with bind parameters (for the hot
    lists): the page statement around it is built once too and runs with ``params`` plus
    the cursor's values and the limit, skipping the per-request statement construction.
    With ``rows`` too (a late row lookup), ``stmt`` selects only the ``order`` columns: the
    page's keys are found on them (an index-only scan when an index carries every column
    the filter reads) and ``rows(keys)`` (a module-level function: it is part of the cached
    statement's key) reads the page's rows by key; the result is ordered the same way.
    Returns (rows, next_cursor) and sets the ``Link: rel="next"`` header when there is more.
    """
    columns = [c for c, _ in order]
    values = []
    if cursor:
        values = [
            _coerce(col, v)
            for col, v in zip(columns, decode_cursor(cursor, len(columns)), strict=True)
        ]
    if params is None and rows is None:
        page = _page(stmt, order, values, limit + 1)
        entity = _one_entity(page)
        result = dbsession.execute(page)
    else:
        page, entity = _page_template(stmt, tuple(order), bool(values), rows)
        bound = {**(params or {}), "page_limit": limit + 1}
        bound.update((f"page_after_{i}", v) for i, v in enumerate(values))
        if entity:
            result = dbsession.execute(page, bound)
        else:  # plain columns: the Core path, without the ORM's per-row machinery
            dbsession.flush()
            result = dbsession.connection().execute(page, bound)
    found = list(result.scalars().unique() if entity else result.all())
    next_cursor = None
    if len(found) > limit:
        found = found[:limit]
        last = found[-1]
        next_cursor = encode_cursor([getattr(last, col.key) for col in columns])
        next_url = request.current_route_url(
            _query={**request.GET, "cursor": next_cursor, "limit": limit}
        )
        request.response.headers["Link"] = f'<{next_url}>; rel="next"'
    return found, next_cursor


def _page(stmt: Select, order: Sequence[tuple[Any, str]], after: list[Any], limit: Any) -> Select:
    if after:
        stmt = stmt.where(_after(order, after))
    return stmt.order_by(*[c.desc() if d == "desc" else c.asc() for c, d in order]).limit(limit)


def _one_entity(stmt: Select) -> bool:
    """One ORM entity selected: rows are its objects; else plain rows named like the columns."""
    return len(stmt.column_descriptions) == 1


@functools.lru_cache(maxsize=1024)
def _page_template(
    stmt: Select,
    order: tuple[tuple[Any, str], ...],
    after: bool,
    rows: Callable[[Subquery], Select] | None = None,
) -> tuple[Select, bool]:
    # Keyed by the template's identity (templates are built once and kept: a bounded set).
    marks: list[Any] = [bindparam(f"page_after_{i}") for i in range(len(order))] if after else []
    page = _page(stmt, order, marks, bindparam("page_limit"))
    if rows is not None:
        keys = page.subquery("page_keys")
        page = rows(keys).order_by(
            *[keys.c[c.key].desc() if d == "desc" else keys.c[c.key].asc() for c, d in order]
        )
    return page, _one_entity(page)


def paginate_request(
    request: Request,
    stmt: Select,
    order: Sequence[tuple[Any, str]],
    params: dict[str, Any] | None = None,
    rows: Callable[[Subquery], Select] | None = None,
) -> tuple[list[Any], str | None]:
    """``paginate`` with ``limit`` and ``cursor`` from the validated query string."""
    query = request.validated["querystring"]
    return paginate(
        request,
        request.dbsession,
        stmt,
        order,
        limit=query["limit"],
        cursor=query["cursor"],
        params=params,
        rows=rows,
    )


def _after(order: Sequence[tuple[Any, str]], values: list[Any]) -> Any:
    """Rows strictly after ``values`` in the given ordering (lexicographic keyset)."""
    clauses = []
    for i, (col, direction) in enumerate(order):
        equal = [order[j][0] == values[j] for j in range(i)]
        beyond = col < values[i] if direction == "desc" else col > values[i]
        clauses.append(and_(*equal, beyond))
    if len(order) == 1:
        return clauses[0]
    # The same rows, with a bound on the first column that an index range can use: PostgreSQL
    # does not turn the OR into one, and read every row before the cursor on each page.
    first, direction = order[0]
    reached = first <= values[0] if direction == "desc" else first >= values[0]
    return and_(reached, or_(*clauses))


def _coerce(column: Any, value: Any) -> Any:
    import datetime as dt

    python_type = None
    with contextlib.suppress(NotImplementedError):
        python_type = column.type.python_type
    try:
        if python_type is dt.datetime:
            parsed = dt.datetime.fromisoformat(value)  # TypeError for a non-string
            if parsed.tzinfo is None:
                raise ValueError("naive date-time")
            return parsed
        if python_type is dt.date:
            return dt.date.fromisoformat(value)
        if python_type is int:
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_ID:
                raise ValueError("not a stored integer")
            return value
        if python_type is str and (not isinstance(value, str) or "\x00" in value):
            raise ValueError("not a stored string")
    except (TypeError, ValueError) as exc:
        raise APIProblem(400, "Invalid cursor.", errors=[_cursor_error()]) from exc
    return value


def page_body(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
