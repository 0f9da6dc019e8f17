"""The booking rules shared by single lessons and recurring series.

Contract (``thebot.scheduling.series.service`` calls these; keep them stable):

``validate_slot(dbsession, settings, *, actor, teacher, student, subject_id, start, end,
timezone, meeting_link, now, override_enrollment=False, require_enrollment=True) -> bool``
    Checks, in this order, and raises domain errors (``thebot.errors``):

    1. 400 (``Invalid``) ``teacher_id`` / ``student_id``: the teacher is an active teacher
       or tutor, the student an active student;
    2. 403 (``Forbidden``): the actor may book for them: an admin, the teacher themself, or
       the student's tutor (``StudentProfile.tutor_id``); 403 too when a non-admin asks for
       ``override_enrollment``;
    3. 400 with every failing field at once: ``timezone`` an IANA name; ``end`` after
       ``start``; duration from ``LESSON_MIN_MINUTES`` to ``LESSON_MAX_MINUTES`` (both
       inclusive); ``start`` not in the past and at least ``LESSON_MIN_NOTICE_MINUTES``
       ahead of ``now`` (exactly the notice is fine); ``meeting_link`` https on a host of
       ``MEETING_LINK_HOSTS``; ``subject_id`` an active enrollment of the student with that
       teacher in that subject (unless an admin overrides, or ``require_enrollment`` is
       false: a reschedule of a lesson booked with an override keeps it).

    Returns whether an admin's enrollment override was *used* (asked for and needed): the
    caller records it on the lesson and in its history.

``can_manage(dbsession, actor, lesson) -> bool``
    Create, edit, reschedule or cancel: an admin, the lesson's teacher, the student's tutor.

``can_cancel(actor, lesson, now, settings) -> bool``
    The notice part of cancelling: ``LESSON_CANCEL_NOTICE_HOURS`` before the start, except
    for admins. Combine with ``can_manage`` for the whole rule.

Datetimes are aware (any offset); ``settings`` is the registry's settings dict (missing keys
fall back to the defaults below, so tests and scripts may pass a partial dict).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import literal, select, true
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import TEACHING_ROLES, Role, User
from thebot.catalog.models import Enrollment, EnrollmentStatus, Subject
from thebot.errors import Forbidden, Invalid, field_error
from thebot.schemas import is_timezone

DEFAULTS: dict[str, Any] = {
    "lesson_min_minutes": 30,
    "lesson_max_minutes": 240,
    "lesson_min_notice_minutes": 15,
    "lesson_cancel_notice_hours": 2,
    "meeting_link_hosts": ["telemost.yandex.ru", "meet.google.com"],
}
MEETING_LINK_MAX = 500  # the column's length
NOT_YOURS = (
    "Only the lesson's teacher, the student's tutor or an admin may book, reschedule "
    "or cancel this lesson."
)


def setting(settings: Mapping[str, Any], name: str) -> Any:
    value = settings.get(name)
    return DEFAULTS[name] if value is None else value


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN.value


# --- who ---------------------------------------------------------------------------------


def may_book_for(dbsession: Session, actor: User, teacher_id: int, student_id: int) -> bool:
    """Admins, the teacher themself, or the student's tutor act for this pair."""
    if not actor.is_active:
        return False
    if is_admin(actor) or actor.id == teacher_id:
        return True
    if actor.role != Role.TUTOR.value:
        return False
    return bool(dbsession.scalar(select(literal(student_id).in_(people.tutored_by(actor.id)))))


def can_manage(dbsession: Session, actor: User, lesson: Any) -> bool:
    """Edit, reschedule or cancel ``lesson`` (a ``Lesson``, or anything with its ids)."""
    return may_book_for(dbsession, actor, lesson.teacher_id, lesson.student_id)


def can_cancel(actor: User, lesson: Any, now: dt.datetime, settings: Mapping[str, Any]) -> bool:
    """Enough notice to cancel: admins always, others up to the notice before the start."""
    if is_admin(actor):
        return True
    notice = dt.timedelta(hours=setting(settings, "lesson_cancel_notice_hours"))
    return lesson.start_at - now >= notice


# --- what --------------------------------------------------------------------------------


def participant_errors(teacher: User | None, student: User | None) -> list[dict[str, str]]:
    errors = []
    if teacher is None:
        errors.append(field_error("teacher_id", "No such user"))
    elif teacher.role not in TEACHING_ROLES or not teacher.is_active:
        errors.append(field_error("teacher_id", "Not an active teacher or tutor"))
    if student is None:
        errors.append(field_error("student_id", "No such user"))
    elif student.role != Role.STUDENT.value or not student.is_active:
        errors.append(field_error("student_id", "Not an active student"))
    return errors


def time_errors(
    settings: Mapping[str, Any], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[dict[str, str]]:
    """Duration and notice rules (both ends of each range inclusive)."""
    if start.tzinfo is None or end.tzinfo is None:
        return [field_error("start", "A date-time with a UTC offset is required")]
    errors = []
    shortest = dt.timedelta(minutes=setting(settings, "lesson_min_minutes"))
    longest = dt.timedelta(minutes=setting(settings, "lesson_max_minutes"))
    if end <= start:
        errors.append(field_error("end", "Must be after start"))
    elif not shortest <= end - start <= longest:
        errors.append(
            field_error(
                "end",
                f"A lesson lasts {_minutes(shortest)} to {_minutes(longest)}; "
                f"this one lasts {_minutes(end - start)}",
            )
        )
    notice = dt.timedelta(minutes=setting(settings, "lesson_min_notice_minutes"))
    if start < now:
        errors.append(field_error("start", "Is in the past"))
    elif start - now < notice:
        errors.append(
            field_error("start", f"Book at least {_minutes(notice)} before the lesson starts")
        )
    return errors


def _minutes(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute" + ("" if minutes == 1 else "s")


def host_matches(host: str, allowed: Iterable[str]) -> bool:
    """``meet.google.com`` matches itself; ``.example.com`` matches it and its subdomains."""
    name = host.lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("."):
            if name == pattern[1:] or name.endswith(pattern):
                return True
        elif name == pattern:
            return True
    return False


def meeting_link_error(link: str, hosts: Iterable[str]) -> str | None:
    """Why ``link`` is not an acceptable meeting link (``None``: it is)."""
    hosts = list(hosts)
    if len(link) > MEETING_LINK_MAX:
        return f"At most {MEETING_LINK_MAX} characters"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in link):
        return "May not contain spaces or control characters"
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return "Not a valid URL"
    if parts.scheme.lower() != "https":
        return "Must be an https:// link"
    if parts.username is not None or parts.password is not None:
        return "May not contain a user name or password"
    if port not in (None, 443):
        return "May not name a port"
    if not parts.hostname or not host_matches(parts.hostname, hosts):
        return "Links are accepted on these hosts only: " + (", ".join(hosts) or "none")
    return None


def enrollment_exists(
    dbsession: Session, teacher_id: int, student_id: int, subject_id: int
) -> bool:
    return bool(
        dbsession.scalar(
            select(true()).where(
                Enrollment.teacher_id == teacher_id,
                Enrollment.student_id == student_id,
                Enrollment.subject_id == subject_id,
                Enrollment.status == EnrollmentStatus.ACTIVE.value,
            )
        )
    )


def validate_slot(
    dbsession: Session,
    settings: Mapping[str, Any],
    *,
    actor: User,
    teacher: User | None,
    student: User | None,
    subject_id: int,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str,
    meeting_link: str | None,
    now: dt.datetime,
    override_enrollment: bool = False,
    require_enrollment: bool = True,
) -> bool:
    """Check a lesson slot against every booking rule (see the module docstring)."""
    errors = participant_errors(teacher, student)
    if errors:
        raise _refused(errors)
    assert teacher is not None and student is not None  # for the type checker
    if not may_book_for(dbsession, actor, teacher.id, student.id):
        raise Forbidden(NOT_YOURS)
    if override_enrollment and not is_admin(actor):
        raise Forbidden("Only admins may override the enrollment requirement.")
    if not isinstance(timezone, str) or not is_timezone(timezone):
        errors.append(
            field_error("timezone", "Expected an IANA time zone name like Europe/Moscow")
        )
    errors.extend(time_errors(settings, start, end, now))
    if meeting_link:
        problem = meeting_link_error(meeting_link, setting(settings, "meeting_link_hosts"))
        if problem:
            errors.append(field_error("meeting_link", problem))
    used_override = False
    if require_enrollment and not enrollment_exists(dbsession, teacher.id, student.id, subject_id):
        if not override_enrollment:
            errors.append(
                field_error(
                    "subject_id",
                    "The student has no active enrollment with this teacher in this subject",
                )
            )
        elif dbsession.get(Subject, subject_id) is None:
            errors.append(field_error("subject_id", "No such subject"))
        else:
            used_override = True
    if errors:
        raise _refused(errors)
    return used_override


def _refused(errors: list[dict[str, str]]) -> Invalid:
    """One error reads as its own detail; several are counted (as ``Invalid`` counts)."""
    return Invalid(errors=errors, detail=errors[0]["description"] if len(errors) == 1 else None)
