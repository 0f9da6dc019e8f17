"""Lessons: who may do what, the checks every change shares, booking, and the list query.

Editing and rescheduling are in ``changes``; the status machine (confirm, cancel,
complete, auto-completion) in ``states``; each change is a history row (``record_history``,
below) and a ``LessonChanged`` event (``announce``): its subscribers tell the people
concerned and refresh the dashboards.

Who may do what (the caller's relation to the lesson, ``visibility.relations``):

============  ===========================================================================
book          the teacher themself, the student's tutor, admins (``rules.validate_slot``)
edit          PATCH and reschedule: the lesson's teacher, the student's tutor, admins;
              only before the lesson starts and while it is pending or confirmed
confirm       those who manage it, and the lesson's student and the student's parents
              (the family agrees to a time the teacher or tutor proposed)
cancel        those who manage it; at least ``LESSON_CANCEL_NOTICE_HOURS`` before the start
              except admins (a late cancellation is a 403)
complete      the lesson's teacher and admins, once the lesson has started
============  ===========================================================================

``sequence`` (the iCalendar SEQUENCE) is bumped by every change a calendar shows: times,
description, meeting link and status. ``notes`` are the teacher's private notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.errors import Conflict, Forbidden
from thebot.events import record, registry_of
from thebot.scheduling import rules
from thebot.scheduling.conflicts import conflict_payload, find_conflicts, lock_participants
from thebot.scheduling.events import LessonChanged
from thebot.scheduling.lessons import visibility as seen
from thebot.scheduling.models import Lesson, LessonHistory, LessonStatus

PENDING = LessonStatus.PENDING.value
CONFIRMED = LessonStatus.CONFIRMED.value
COMPLETED = LessonStatus.COMPLETED.value
CANCELLED = LessonStatus.CANCELLED.value

# Relations (lesson_visibility) allowed each operation; the resource ACL is built from these.
MANAGERS = frozenset({seen.ADMIN, seen.TEACHER, seen.TUTOR})
CONFIRMERS = MANAGERS | {seen.STUDENT, seen.PARENT}
COMPLETERS = frozenset({seen.ADMIN, seen.TEACHER})

# LessonChanged.change: the changes people are told about (other changes: "").
BOOKED = "booked"
RESCHEDULED = "rescheduled"
# CANCELLED (the status) names the third one.

HISTORY_FIELDS = (
    "teacher_id",
    "student_id",
    "subject_id",
    "start",
    "end",
    "timezone",
    "description",
    "notes",
    "meeting_link",
    "status",
    "series_id",
    "enrollment_override",
    "cancel_reason",
)


@dataclass(frozen=True)
class LessonInput:
    """A lesson as a booking request describes it (``teacher_id`` already defaulted)."""

    teacher_id: int
    student_id: int
    subject_id: int
    start: dt.datetime
    end: dt.datetime
    timezone: str
    description: str = ""
    notes: str = ""
    meeting_link: str | None = None
    override_enrollment: bool = False


# --- shared checks -----------------------------------------------------------------------

BOOKING_GUARDS = "thebot.scheduling.booking_guards"  # registry: the guards, in order
BookingGuard = Callable[[Session, Mapping[str, Any], int, int, int | None, dt.datetime], None]


def add_booking_guard(config: Any, guard: BookingGuard) -> None:
    """Config directive: ``guard(dbsession, settings, teacher_id, student_id, subject_id,
    start)`` runs before each lesson is inserted (single, or a series occurrence) and may
    refuse it with a ``thebot.errors`` domain error: the rules of features above scheduling
    (payments: no lesson credit left)."""

    def register() -> None:
        config.registry.setdefault(BOOKING_GUARDS, []).append(guard)

    config.action(("thebot.scheduling.booking_guard", guard), register)


def check_booking_guards(dbsession: Session, data: LessonInput) -> None:
    registry = registry_of(dbsession)
    if registry is None:
        return
    settings = registry.settings or {}
    for guard in registry.get(BOOKING_GUARDS, ()):
        guard(dbsession, settings, data.teacher_id, data.student_id, data.subject_id, data.start)


def conflict_problem(conflicts: list[Lesson]) -> Conflict:
    count = len(conflicts)
    return Conflict(
        f"The slot overlaps {count} other lesson{'s' if count != 1 else ''} of the teacher or "
        "the student.",
        conflicts=[conflict_payload(c) for c in conflicts],
    )


def require(dbsession: Session, actor: User, lesson: Lesson, allowed: frozenset[str]) -> None:
    if not seen.relations(dbsession, actor, lesson) & allowed:
        raise Forbidden("You do not have permission to perform this action.")


def require_editable(lesson: Lesson, now: dt.datetime) -> None:
    if lesson.status not in (PENDING, CONFIRMED):
        raise Conflict(
            f"Cannot edit a lesson that is {lesson.status}.", current_status=lesson.status
        )
    if lesson.start_at <= now:
        raise Conflict(
            "The lesson has started and can no longer be edited.",
            current_status=lesson.status,
        )


def lock(dbsession: Session, lesson: Lesson) -> None:
    """Re-read ``lesson`` under a row lock (PostgreSQL) so concurrent changes serialise.

    On SQLite the request's ``BEGIN IMMEDIATE`` already serialises writers.
    """
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.refresh(lesson, with_for_update=True)


def bump(lesson: Lesson) -> None:
    lesson.sequence = (lesson.sequence or 0) + 1


def load_participants(
    dbsession: Session, teacher_id: int, student_id: int, *, actor: User | None = None
) -> tuple[User | None, User | None]:
    """The teacher and the student of a booking (``None`` for an unknown id).

    With ``actor`` (a new booking or series, whose ids come from the client) two more rules
    keep a booking from telling a caller who exists:

    1. the authority check runs first, on the ids alone (``rules.may_book_for``: an admin,
       the teacher themself, the student's tutor): a 403 that is the same for an unknown id
       and for someone else's student;
    2. a participant a non-admin is not related to is ``None``, so ``rules.validate_slot``
       answers the same 400 ("No such user") for an id that does not exist and for a
       student the caller does not teach. Related means: the actor themself; a student the
       actor can see (``accounts.visibility``: they teach or tutor them); a teacher who
       teaches that student, or whom the actor can see.

    Booking still needs an active enrollment of the pair, so nobody unrelated is attached.
    """
    if actor is not None and not rules.may_book_for(dbsession, actor, teacher_id, student_id):
        raise Forbidden(rules.NOT_YOURS)
    users = {
        u.id: u
        for u in dbsession.scalars(select(User).where(User.id.in_({teacher_id, student_id})))
    }
    teacher, student = users.get(teacher_id), users.get(student_id)
    if actor is None or actor.role == Role.ADMIN.value:
        return teacher, student
    if (
        student is not None
        and student.id != actor.id
        and not people.can_see(dbsession, actor, student)
    ):
        student = None
    if teacher is not None and teacher.id != actor.id:
        teaches_student = student is not None and people.teaches(dbsession, teacher.id, student.id)
        if not teaches_student and not people.can_see(dbsession, actor, teacher):
            teacher = None
    return teacher, student


# --- history and events ------------------------------------------------------------------


def value_of(lesson: Lesson, field: str) -> Any:
    """A lesson field as history stores it (JSON: date-times as UTC RFC 3339)."""
    value = getattr(lesson, {"start": "start_at", "end": "end_at"}.get(field, field))
    return value.isoformat() if isinstance(value, dt.datetime) else value


def snapshot(lesson: Lesson, fields: Iterable[str] = HISTORY_FIELDS) -> dict[str, Any]:
    return {field: value_of(lesson, field) for field in fields}


def record_history(
    dbsession: Session,
    lesson: Lesson,
    action: str,
    actor: User | None,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> LessonHistory:
    """One history row; ``actor`` ``None`` means the system (the auto-completion actor)."""
    entry = LessonHistory(
        lesson_id=lesson.id,
        action=action,
        actor_id=actor.id if actor is not None else None,
        old_values=dict(old),
        new_values=dict(new),
    )
    dbsession.add(entry)
    return entry


def history_query(lesson: Lesson) -> Any:
    return select(LessonHistory).where(LessonHistory.lesson_id == lesson.id)


def announce(
    dbsession: Session,
    lesson: Lesson,
    change: str = "",
    *,
    actor: User | None = None,
    old: Mapping[str, Any] | None = None,
) -> None:
    """Record ``LessonChanged``: subscribers tell the people concerned by a ``change``
    (booked, cancelled, rescheduled from ``old``) and refresh the dashboards showing it."""
    record(
        dbsession,
        LessonChanged(
            lesson_id=lesson.id,
            teacher_id=lesson.teacher_id,
            student_id=lesson.student_id,
            change=change,
            actor_id=actor.id if actor is not None else None,
            old_start=(old or {}).get("start") or "",
            old_end=(old or {}).get("end") or "",
        ),
    )


# --- booking -----------------------------------------------------------------------------


def check_slot(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    data: LessonInput,
    now: dt.datetime,
) -> bool:
    """Every booking rule for ``data``; returns whether an enrollment override was used."""
    teacher, student = load_participants(dbsession, data.teacher_id, data.student_id, actor=actor)
    return rules.validate_slot(
        dbsession,
        settings,
        actor=actor,
        teacher=teacher,
        student=student,
        subject_id=data.subject_id,
        start=data.start,
        end=data.end,
        timezone=data.timezone,
        meeting_link=data.meeting_link,
        now=now,
        override_enrollment=data.override_enrollment,
    )


def check_conflicts(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    data: LessonInput,
    now: dt.datetime,
) -> list[Lesson]:
    """What booking ``data`` would run into, without booking (rules first: 400/403)."""
    check_slot(dbsession, settings, actor, data, now)
    return find_conflicts(
        dbsession,
        teacher_id=data.teacher_id,
        student_id=data.student_id,
        start=data.start,
        end=data.end,
    )


def book(
    dbsession: Session,
    settings: Mapping[str, Any],
    actor: User,
    data: LessonInput,
    now: dt.datetime,
) -> Lesson:
    """Check, lock both participants, refuse overlaps (409 listing them), insert."""
    override_used = check_slot(dbsession, settings, actor, data, now)
    lock_participants(dbsession, [data.teacher_id, data.student_id])
    conflicts = find_conflicts(
        dbsession,
        teacher_id=data.teacher_id,
        student_id=data.student_id,
        start=data.start,
        end=data.end,
    )
    if conflicts:
        raise conflict_problem(conflicts)
    lesson = insert_lesson(dbsession, actor, data, override_used=override_used)
    announce(dbsession, lesson, BOOKED, actor=actor)
    return lesson


def insert_lesson(
    dbsession: Session,
    actor: User | None,
    data: LessonInput,
    *,
    override_used: bool,
    series_id: int | None = None,
    occurrence_start: dt.datetime | None = None,
) -> Lesson:
    """Insert a checked, conflict-free lesson and its ``created`` history row.

    For callers that did ``validate_slot``, ``lock_participants`` and ``find_conflicts``
    themselves (recurring series). The booking guards may refuse it.
    """
    check_booking_guards(dbsession, data)
    lesson = Lesson(
        teacher_id=data.teacher_id,
        student_id=data.student_id,
        subject_id=data.subject_id,
        start_at=data.start,
        end_at=data.end,
        timezone=data.timezone,
        description=data.description,
        notes=data.notes,
        meeting_link=data.meeting_link or None,
        status=PENDING,
        series_id=series_id,
        occurrence_start=occurrence_start,
        enrollment_override=override_used,
        sequence=0,
        created_by_id=actor.id if actor is not None else None,
    )
    dbsession.add(lesson)
    dbsession.flush()
    record_history(dbsession, lesson, "created", actor, {}, snapshot(lesson))
    dbsession.flush()
    return lesson


# --- lists -------------------------------------------------------------------------------


def lessons_query(
    viewer: User,
    *,
    start_from: dt.datetime | None = None,
    until: dt.datetime | None = None,
    student_id: int | None = None,
    teacher_id: int | None = None,
    subject_id: int | None = None,
    status: str | None = None,
) -> Any:
    """The lessons ``viewer`` may see, filtered; ``start_from``/``until`` select the lessons
    overlapping ``[start_from, until)`` (ending after the one, starting before the other)."""
    stmt = select(Lesson).where(seen.visible_lessons_clause(viewer))
    if start_from is not None:
        stmt = stmt.where(Lesson.end_at > start_from)
    if until is not None:
        stmt = stmt.where(Lesson.start_at < until)
    if student_id is not None:
        stmt = stmt.where(Lesson.student_id == student_id)
    if teacher_id is not None:
        stmt = stmt.where(Lesson.teacher_id == teacher_id)
    if subject_id is not None:
        stmt = stmt.where(Lesson.subject_id == subject_id)
    if status is not None:
        stmt = stmt.where(Lesson.status == status)
    return stmt
