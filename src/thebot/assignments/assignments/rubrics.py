"""The rubric of an assignment: its ordered criteria, each with its maximum points."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from thebot.assignments.models import Assignment, RubricCriterion


def rubrics(dbsession: Session, ids: Sequence[int]) -> dict[int, list[RubricCriterion]]:
    """Criteria per assignment id, in order, for many assignments in one query."""
    found: dict[int, list[RubricCriterion]] = {i: [] for i in ids}
    if ids:
        stmt = (
            select(RubricCriterion)
            .where(RubricCriterion.assignment_id.in_(ids))
            .order_by(RubricCriterion.position, RubricCriterion.id)
        )
        for criterion in dbsession.execute(stmt).scalars():
            found[criterion.assignment_id].append(criterion)
    return found


def set_rubric(dbsession: Session, assignment: Assignment, rubric: list[dict[str, Any]]) -> None:
    dbsession.execute(
        delete(RubricCriterion).where(RubricCriterion.assignment_id == assignment.id)
    )
    for position, item in enumerate(rubric):
        dbsession.add(
            RubricCriterion(
                assignment_id=assignment.id,
                position=position,
                name=item["name"],
                description=item.get("description", ""),
                max_points=item["max_points"],
            )
        )


def rubric_rows(rubric: Iterable[Any]) -> list[tuple[str, str, Decimal]]:
    """Criteria (body dicts or ``RubricCriterion`` rows) as comparable rows."""

    def row(c: Any) -> tuple[str, str, Decimal]:
        if isinstance(c, dict):
            return (c["name"], c.get("description", ""), Decimal(c["max_points"]))
        return (c.name, c.description, Decimal(c.max_points))

    return [row(c) for c in rubric]
