"""Assignments: create, edit, publish, close, clone, delete. Who is assigned: ``assignees``;
the criteria: ``rubrics``.

Rules (the views only parse and authorize; these functions decide):

- Creating needs the subject: admins, or a teacher/tutor with an active teacher-subject
  assignment (``thebot.materials.visibility.can_author``). Only the author or an admin edits,
  publishes, closes or deletes (the route factories grant that).
- Assignees are explicit students and/or, with ``assign_to_subject``, every student with an
  active enrollment in the subject, resolved at query time (a student who enrolls later is
  assigned; one who drops out is not). A non-admin author may only name students they teach
  or who are enrolled in the subject.
- ``draft -> published -> closed``. Publishing needs assignees and notifies them; closing
  stops new submissions. Cloning makes a draft copy (rubric, policy, assignees).
- A draft is deletable; a published or closed assignment only while nobody has submitted
  (409 otherwise: close it to archive it).
- ``max_score`` and the rubric are locked once a submission is graded (409), so grades stay
  within bounds; the subject is fixed once published. Changing dates or the late policy
  recomputes the lateness and penalties of existing submissions (``grading``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.assignments import late_policy
from thebot.assignments.assignments.assignees import (
    assignable,
    assigned_ids,
    assignee_users,
    explicit_assignees,
    set_assignees,
)
from thebot.assignments.assignments.rubrics import rubric_rows, rubrics, set_rubric
from thebot.assignments.events import AssignmentPublished, AssignmentRescheduled
from thebot.assignments.models import (
    Assignment,
    AssignmentExtension,
    AssignmentStatus,
    AssignmentSubmission,
    Grade,
    RubricCriterion,
)
from thebot.catalog.models import Subject
from thebot.errors import Conflict, Forbidden, Invalid, field_error
from thebot.events import record
from thebot.materials.visibility import can_author
from thebot.schemas import iso

DRAFT = AssignmentStatus.DRAFT.value
PUBLISHED = AssignmentStatus.PUBLISHED.value
CLOSED = AssignmentStatus.CLOSED.value
MAX_SCORE_LIMIT = Decimal("999999.99")  # Numeric(8, 2)
# Plain columns a create/PATCH body sets directly (the rest have their own handling).
# fmt: off
COLUMNS = (
    "title", "instructions", "subject_id", "type", "max_score", "start_at", "due_at",
    "attempts_limit", "time_limit_minutes", "assign_to_subject", "allow_late", "late_deadline",
    "penalty_type", "penalty_value", "penalty_frequency", "max_penalty",
)
# Changing one of these re-evaluates lateness and penalties of existing submissions.
TIMING_FIELDS = frozenset({
    "due_at", "allow_late", "late_deadline", "penalty_type", "penalty_value",
    "penalty_frequency", "max_penalty",
})
# fmt: on


def invalid_fields(errors: list[dict[str, str]]) -> Invalid:
    """A 400 listing ``errors``; one error is its own detail (as ``Invalid(field, message)``)."""
    return Invalid(errors=errors, detail=errors[0]["description"] if len(errors) == 1 else None)


def to_utc(value: Any) -> Any:
    """Date-times are stored, and so sent back, in UTC (whatever offset the client used)."""
    return value.astimezone(dt.timezone.utc) if isinstance(value, dt.datetime) else value


# --- validation -----------------------------------------------------------------------------


def check_consistency(values: dict[str, Any], rubric: list[Any] | None) -> None:
    """Cross-field rules on the resulting state of an assignment (400 listing each problem)."""
    errors = [field_error(name, text) for name, text in late_policy.policy_problems(values)]
    if rubric:
        total = sum((Decimal(c["max_points"]) for c in rubric), Decimal(0))
        if total > values["max_score"]:
            errors.append(
                field_error("rubric", f"The criteria add up to {total}, more than max_score")
            )
    if errors:
        raise invalid_fields(errors)


def _check_assignable(
    dbsession: Session, actor: User, subject_id: int, student_ids: Iterable[int]
) -> list[int]:
    """The distinct ids, after checking each is a student the actor may assign (400)."""
    wanted = sorted(set(student_ids))
    ok = (
        set(dbsession.execute(assignable(actor, subject_id, wanted)).scalars())
        if wanted
        else set()
    )
    bad = ", ".join(str(i) for i in wanted if i not in ok)
    if bad:
        raise Invalid("student_ids", f"Not a student you can assign: {bad}")
    return wanted


def _subject(dbsession: Session, subject_id: int) -> Subject:
    subject = dbsession.get(Subject, subject_id)
    if subject is None:
        raise Invalid("subject_id", "No such subject")
    return subject


def _check_author(dbsession: Session, actor: User, subject_id: int) -> None:
    if not can_author(dbsession, actor, subject_id):
        raise Forbidden("Only the subject's teachers and administrators set assignments.")


def has_submissions(dbsession: Session, assignment_id: int) -> bool:
    return bool(
        dbsession.scalar(
            select(exists().where(AssignmentSubmission.assignment_id == assignment_id))
        )
    )


def has_grades(dbsession: Session, assignment_id: int) -> bool:
    graded = exists().where(
        Grade.submission_id == AssignmentSubmission.id,
        AssignmentSubmission.assignment_id == assignment_id,
    )
    return bool(dbsession.scalar(select(graded)))


# --- operations -----------------------------------------------------------------------------


def create_assignment(
    dbsession: Session, actor: User, data: dict[str, Any], now: dt.datetime
) -> Assignment:
    _subject(dbsession, data["subject_id"])
    _check_author(dbsession, actor, data["subject_id"])
    values = {name: to_utc(data[name]) for name in COLUMNS}
    rubric = data.get("rubric") or []
    check_consistency(values, rubric)
    student_ids = _check_assignable(
        dbsession, actor, data["subject_id"], data.get("student_ids") or []
    )
    assignment = Assignment(author_id=actor.id, status=DRAFT, created_at=now, **values)
    dbsession.add(assignment)
    dbsession.flush()
    set_rubric(dbsession, assignment, rubric)
    set_assignees(dbsession, assignment, student_ids)
    dbsession.flush()
    return assignment


def update_assignment(
    dbsession: Session, actor: User, assignment: Assignment, changes: dict[str, Any]
) -> tuple[list[str], list[int]]:
    """Apply a PATCH. Returns (changed field names, students newly assigned to a published
    assignment, to be told about it)."""
    values = {name: getattr(assignment, name) for name in COLUMNS}
    changes = {n: to_utc(v) for n, v in changes.items()}
    changed = [n for n in COLUMNS if n in changes and changes[n] != values[n]]
    values.update({n: changes[n] for n in changed})
    rubric = changes.get("rubric")
    current_rubric = rubrics(dbsession, [assignment.id])[assignment.id]
    if rubric is not None and rubric_rows(current_rubric) != rubric_rows(rubric):
        changed.append("rubric")
    if "subject_id" in changed:
        if assignment.status != DRAFT:
            raise Conflict("The subject of a published assignment cannot change.")
        _subject(dbsession, values["subject_id"])
        _check_author(dbsession, actor, values["subject_id"])
    if {"max_score", "rubric"} & set(changed) and has_grades(dbsession, assignment.id):
        raise Conflict("max_score and the rubric cannot change once a submission is graded.")
    check_consistency(
        values,
        rubric if rubric is not None else [{"max_points": c.max_points} for c in current_rubric],
    )
    reached_before = None
    if assignment.status == PUBLISHED and {"student_ids", "assign_to_subject"} & set(changes):
        reached_before = assigned_ids(dbsession, assignment)
    if "student_ids" in changes:
        wanted = _check_assignable(dbsession, actor, values["subject_id"], changes["student_ids"])
        if set(wanted) != set(explicit_assignees(dbsession, [assignment.id])[assignment.id]):
            changed.append("student_ids")
            set_assignees(dbsession, assignment, wanted)
    for name in COLUMNS:
        if name in changed:
            setattr(assignment, name, values[name])
    if "rubric" in changed:
        set_rubric(dbsession, assignment, rubric or [])
    dbsession.flush()
    if TIMING_FIELDS & set(changed) and has_submissions(dbsession, assignment.id):
        # submissions re-evaluate their lateness and penalties (in this transaction)
        record(dbsession, AssignmentRescheduled(assignment_id=assignment.id))
    added: list[int] = []
    if reached_before is not None:
        added = sorted(assigned_ids(dbsession, assignment) - reached_before)
    if added:  # a published assignment reached more students: the active ones are told
        active = dbsession.execute(
            select(User.id).where(User.id.in_(added), User.is_active.is_(True)).order_by(User.id)
        ).scalars()
        announce_assigned(dbsession, assignment, list(active))
    return changed, added


def announce_assigned(dbsession: Session, assignment: Assignment, student_ids: list[int]) -> None:
    """The assignment reached these students (subscribers tell them, see ``events``)."""
    if student_ids:
        event = AssignmentPublished(assignment_id=assignment.id, student_ids=tuple(student_ids))
        record(dbsession, event)


def publish(dbsession: Session, assignment: Assignment, now: dt.datetime) -> list[User]:
    """Draft -> published (409 without assignees); returns the students, told after commit."""
    if assignment.status != DRAFT:
        raise Conflict(f"Only a draft can be published; this assignment is {assignment.status}.")
    if (
        not assignment.assign_to_subject
        and not explicit_assignees(dbsession, [assignment.id])[assignment.id]
    ):
        raise Conflict("Assign students (or the whole subject) before publishing.")
    assignment.status = PUBLISHED
    assignment.published_at = now
    dbsession.flush()
    students = assignee_users(dbsession, assignment)
    announce_assigned(dbsession, assignment, [student.id for student in students])
    return students


def close(dbsession: Session, assignment: Assignment, now: dt.datetime) -> None:
    if assignment.status != PUBLISHED:
        raise Conflict(
            f"Only a published assignment can be closed; this one is {assignment.status}."
        )
    assignment.status = CLOSED
    assignment.closed_at = now
    dbsession.flush()


def clone(dbsession: Session, actor: User, source: Assignment, now: dt.datetime) -> Assignment:
    """A draft copy authored by ``actor``: content, dates, policy, rubric and the explicit
    assignees the actor may assign (others are left out)."""
    _check_author(dbsession, actor, source.subject_id)
    values = {name: getattr(source, name) for name in COLUMNS}
    suffix = " (copy)"
    values["title"] = source.title[: 255 - len(suffix)] + suffix
    copy = Assignment(
        author_id=actor.id, status=DRAFT, cloned_from_id=source.id, created_at=now, **values
    )
    dbsession.add(copy)
    dbsession.flush()
    criteria = rubrics(dbsession, [source.id])[source.id]
    set_rubric(
        dbsession,
        copy,
        [
            {"name": c.name, "description": c.description, "max_points": c.max_points}
            for c in criteria
        ],
    )
    students = explicit_assignees(dbsession, [source.id])[source.id]
    if students:
        stmt = assignable(actor, source.subject_id, students)
        students = list(dbsession.execute(stmt).scalars())
    set_assignees(dbsession, copy, sorted(students))
    dbsession.flush()
    return copy


def delete_assignment(dbsession: Session, assignment: Assignment) -> None:
    if assignment.status != DRAFT and has_submissions(dbsession, assignment.id):
        raise Conflict(
            "Students have submitted work for this assignment; close it instead of deleting."
        )
    dbsession.delete(assignment)
    dbsession.flush()


def assignments_query(
    visible: Any,
    *,
    subject_id: int | None = None,
    status: str | None = None,
    author_id: int | None = None,
) -> Select:
    stmt = select(Assignment).where(visible)
    if subject_id is not None:
        stmt = stmt.where(Assignment.subject_id == subject_id)
    if status is not None:
        stmt = stmt.where(Assignment.status == status)
    if author_id is not None:
        stmt = stmt.where(Assignment.author_id == author_id)
    return stmt


def extension_of(
    dbsession: Session, assignment_id: int, student_id: int
) -> AssignmentExtension | None:
    return dbsession.scalar(
        select(AssignmentExtension).where(
            AssignmentExtension.assignment_id == assignment_id,
            AssignmentExtension.student_id == student_id,
        )
    )


def extensions_for(
    dbsession: Session, student_id: int, ids: Sequence[int]
) -> dict[int, AssignmentExtension]:
    """One student's extensions on many assignments, in one query."""
    if not ids:
        return {}
    stmt = select(AssignmentExtension).where(
        AssignmentExtension.student_id == student_id, AssignmentExtension.assignment_id.in_(ids)
    )
    return {e.assignment_id: e for e in dbsession.execute(stmt).scalars()}


# --- representation ---------------------------------------------------------------------


def criterion_data(criterion: RubricCriterion) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "position": criterion.position,
        "name": criterion.name,
        "description": criterion.description,
        "max_points": late_policy.score_text(criterion.max_points),
    }


def extension_data(extension: AssignmentExtension) -> dict[str, Any]:
    return {
        "assignment_id": extension.assignment_id,
        "student_id": extension.student_id,
        "due_at": iso(extension.due_at),
        "late_deadline": iso(extension.late_deadline),
        "reason": extension.reason,
        "granted_by_id": extension.granted_by_id,
        "created_at": iso(extension.created_at),
    }


def assignment_data(
    assignment: Assignment,
    rubric: list[RubricCriterion],
    *,
    student_ids: list[int] | None = None,
    extension: AssignmentExtension | None = None,
    as_student: bool = False,
) -> dict[str, Any]:
    """The JSON of an assignment. ``student_ids`` only for its staff (others must not learn
    who else is assigned); ``extension`` only for a student viewer (their own, or null)."""
    data: dict[str, Any] = {
        "id": assignment.id,
        "title": assignment.title,
        "instructions": assignment.instructions,
        "subject_id": assignment.subject_id,
        "author_id": assignment.author_id,
        "type": assignment.type,
        "status": assignment.status,
        "max_score": late_policy.score_text(assignment.max_score),
        "start_at": iso(assignment.start_at),
        "due_at": iso(assignment.due_at),
        "attempts_limit": assignment.attempts_limit,
        "time_limit_minutes": assignment.time_limit_minutes,
        "assign_to_subject": assignment.assign_to_subject,
        "allow_late": assignment.allow_late,
        "late_deadline": iso(assignment.late_deadline),
        "penalty_type": assignment.penalty_type,
        "penalty_value": late_policy.score_text(assignment.penalty_value),
        "penalty_frequency": assignment.penalty_frequency,
        "max_penalty": late_policy.score_text(assignment.max_penalty),
        "rubric": [criterion_data(c) for c in rubric],
        "published_at": iso(assignment.published_at),
        "closed_at": iso(assignment.closed_at),
        "cloned_from_id": assignment.cloned_from_id,
        "created_at": iso(assignment.created_at),
        "updated_at": iso(assignment.updated_at),
    }
    if student_ids is not None:
        data["student_ids"] = student_ids
    if as_student:
        data["extension"] = extension_data(extension) if extension is not None else None
    return data
