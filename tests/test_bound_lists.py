"""``thebot.db.lists.in_list``: ``IN`` a list bound at execution, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import not_, select
from sqlalchemy.dialects import postgresql, sqlite

from thebot.accounts.models import User
from thebot.db.lists import in_list

STMT = select(User.username).where(in_list(User.id, "ids")).order_by(User.username)


def test_one_statement_text_on_postgresql_an_expanding_in_elsewhere():
    pg = str(STMT.compile(dialect=postgresql.psycopg.dialect()))
    assert "= ANY (%(ids)s::INTEGER[])" in pg
    lite = str(STMT.compile(dialect=sqlite.dialect()))
    assert "IN (__[POSTCOMPILE_ids])" in lite and "= 1" not in lite


@pytest.mark.parametrize("chosen", [[], ["b"], ["a", "c"], ["a", "b", "c"]])
def test_selects_exactly_the_listed_rows_and_its_negation_the_others(dbsession, make_user, chosen):
    users = {name: make_user("student", username=name) for name in ("a", "b", "c")}
    ids = [users[name].id for name in chosen]
    assert dbsession.scalars(STMT, {"ids": ids}).all() == chosen
    others = select(User.username).where(
        not_(in_list(User.id, "ids")), User.username.in_(["a", "b", "c"])
    )
    assert sorted(dbsession.scalars(others, {"ids": ids})) == sorted({"a", "b", "c"} - set(chosen))
