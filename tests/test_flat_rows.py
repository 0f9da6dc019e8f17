"""``thebot.db.rows.Layout``: groups of columns in one flat select, read back as dicts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from thebot.accounts.models import StudentProfile, User
from thebot.db.rows import Layout

Tutor = aliased(User, name="tutor")
CARD = Layout(
    student=(User, ("id", "username")),
    tutor=(Tutor, ("id", "username")),
    plain=(User, ("first_name",), ""),
)


def test_columns_are_labelled_by_group_or_by_the_given_prefix():
    assert [c.key for c in CARD.columns] == [
        "student_id",
        "student_username",
        "tutor_id",
        "tutor_username",
        "first_name",
    ]


def test_rows_read_back_per_group_and_an_outer_join_that_found_nothing_is_none(
    dbsession, make_user
):
    tutor = make_user(role="tutor", username="tina")
    taught = make_user("student", username="sam", first_name="Sam", profile={"tutor": tutor})
    alone = make_user(role="student", username="al", first_name="Al")
    rows = dbsession.execute(
        select(*CARD.columns, User.email)
        .select_from(User)
        .join(StudentProfile, StudentProfile.user_id == User.id)
        .outerjoin(Tutor, Tutor.id == StudentProfile.tutor_id)
        .where(User.id.in_([taught.id, alone.id]))
        .order_by(User.username)
    ).all()
    first, second = rows
    assert CARD.part(first, "student") == {"id": alone.id, "username": "al"}
    assert CARD.part(first, "tutor") is None
    assert CARD.values(first, "tutor") == (None, None)
    assert CARD.part(second, "tutor") == {"id": tutor.id, "username": "tina"}
    assert CARD.part(second, "plain") == {"first_name": "Sam"}
    assert second.email == taught.email  # columns after the layout by name
