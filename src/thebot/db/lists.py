"""``column IN`` a list given at execution, one statement text for every length.

Statements built once (``thebot.db.rows``) take their id lists as a parameter:

    stmt = select(User.id).where(in_list(User.id, "ids"))
    dbsession.execute(stmt, {"ids": [3, 5, 8]})

In general this is SQLAlchemy's expanding ``IN`` (one placeholder per item, rendered at
execution). On PostgreSQL it is ``column = ANY(:ids)`` with one array parameter: the
statement text is the same whatever the list's length, so psycopg prepares it after a few
executions and PostgreSQL stops planning it every time (half a millisecond for a dashboard's
aggregate over a tutor's students).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class InList(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: never ``(... IN ...) = 1`` in a WHERE
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: Any, name: str):
        self.column = (
            column.__clause_element__() if hasattr(column, "__clause_element__") else column
        )
        self.name = name

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


def in_list(column: Any, name: str) -> InList:
    """``column`` is one of the values of the list bound to ``name`` at execution."""
    return InList(column, name)


@compiles(InList)
def _expanding_in(element: InList, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(InList, "postgresql")
def _equals_any_array(element: InList, compiler: Any, **kw: Any) -> str:
    array = bindparam(element.name, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(array), **kw)
