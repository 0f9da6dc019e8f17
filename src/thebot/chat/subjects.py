"""Subject rooms: one per subject + teacher, made when the first enrollment with that teacher
becomes active; its members follow the enrollments (the teacher moderates, the students
post, and, when ``CHAT_SUBJECT_ROOM_PARENTS`` is on, their parents read). An enrollment
that ends takes the student's access with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink
from thebot.catalog.models import Enrollment, EnrollmentStatus, Subject
from thebot.chat.models import ChatMember, ChatRoom, MemberRole, RoomType
from thebot.chat.rooms.service import join, publish_room
from thebot.db import utcnow
from thebot.events import Committing

ACTIVE = EnrollmentStatus.ACTIVE.value


def _settings(dbsession: Session) -> dict[str, Any]:
    request = dbsession.info.get("request")
    registry = request.registry if request is not None else dbsession.info.get("registry")
    return registry.settings if registry is not None else {}


def wanted_members(dbsession: Session, subject_id: int, teacher_id: int) -> dict[int, dict]:
    """``{user_id: membership values}`` the room of this subject + teacher should have."""
    students = list(
        dbsession.scalars(
            select(Enrollment.student_id).where(
                Enrollment.subject_id == subject_id,
                Enrollment.teacher_id == teacher_id,
                Enrollment.status == ACTIVE,
            )
        )
    )
    if not students:
        return {}
    wanted: dict[int, dict] = {}
    if _settings(dbsession).get("chat_subject_room_parents"):
        parents = dbsession.scalars(
            select(ParentLink.parent_id).where(ParentLink.student_id.in_(students))
        )
        for parent_id in parents:
            wanted[parent_id] = {"role": MemberRole.MEMBER.value, "read_only": True}
    for student_id in students:
        wanted[student_id] = {"role": MemberRole.MEMBER.value, "read_only": False}
    wanted[teacher_id] = {"role": MemberRole.MODERATOR.value, "read_only": False}
    return wanted


def subject_room(
    dbsession: Session, subject_id: int, teacher_id: int, *, create: bool
) -> ChatRoom | None:
    """The room of this subject + teacher (made when ``create``; race-safe)."""
    stmt = select(ChatRoom).where(
        ChatRoom.subject_id == subject_id, ChatRoom.teacher_id == teacher_id
    )
    room = dbsession.scalar(stmt)
    if room is not None or not create:
        return room
    subject = dbsession.get(Subject, subject_id)
    try:
        with dbsession.begin_nested():
            room = ChatRoom(
                type=RoomType.SUBJECT.value,
                name=subject.name if subject is not None else "",
                subject_id=subject_id,
                teacher_id=teacher_id,
                created_by_id=teacher_id,
            )
            dbsession.add(room)
            dbsession.flush()
    except IntegrityError:
        room = dbsession.scalar(stmt.execution_options(populate_existing=True))
    return room


def sync_subject_room(dbsession: Session, subject_id: int, teacher_id: int) -> ChatRoom | None:
    """Bring the room's members in line with the active enrollments (adds, removals)."""
    wanted = wanted_members(dbsession, subject_id, teacher_id)
    room = subject_room(dbsession, subject_id, teacher_id, create=bool(wanted))
    if room is None:
        return None
    current = {
        m.user_id: m
        for m in dbsession.scalars(select(ChatMember).where(ChatMember.room_id == room.id))
    }
    changed, gone = False, []
    for user_id, values in wanted.items():
        member = current.get(user_id)
        if member is None or member.left_at is not None:
            join(dbsession, room, user_id, **values)
            changed = True
        elif member.read_only != values["read_only"]:
            member.read_only = values["read_only"]
            changed = True
    for user_id, member in current.items():
        if user_id not in wanted and member.left_at is None:
            member.left_at = utcnow()
            gone.append(user_id)
    if changed or gone:
        publish_room(dbsession, room, also=gone)
    return room


def follow_enrollment(committing: Committing, event: Any) -> None:
    """An enrollment changed: the subject's rooms follow (the enrollment's teacher's, and
    any other teacher's room of the subject the student may have left)."""
    dbsession = committing.dbsession
    enrollment = dbsession.get(Enrollment, getattr(event, "enrollment_id", 0))
    if enrollment is None:
        return
    teachers = {
        teacher_id
        for teacher_id in dbsession.scalars(
            select(ChatRoom.teacher_id).where(ChatRoom.subject_id == enrollment.subject_id)
        )
        if teacher_id is not None
    }
    teachers.add(enrollment.teacher_id)
    for teacher_id in sorted(teachers):
        sync_subject_room(dbsession, enrollment.subject_id, teacher_id)


def follow_subject(committing: Committing, event: Any) -> None:
    """A subject was renamed: its rooms take the new name (members see it at once)."""
    if getattr(event, "deleted", False):
        return  # the rooms went with the subject (ON DELETE CASCADE)
    dbsession = committing.dbsession
    subject = dbsession.get(Subject, getattr(event, "subject_id", 0))
    if subject is None:
        return
    rooms = dbsession.scalars(
        select(ChatRoom).where(ChatRoom.subject_id == subject.id, ChatRoom.name != subject.name)
    ).all()
    for room in rooms:
        room.name = subject.name
        publish_room(dbsession, room)


def follow_parents(committing: Committing, event: Any) -> None:
    """Parent links of students changed (``people.changed``): their subject rooms' parents
    follow, when parents are in subject rooms at all."""
    dbsession = committing.dbsession
    students = tuple(getattr(event, "student_ids", ()))
    if not students or not _settings(dbsession).get("chat_subject_room_parents"):
        return
    pairs = dbsession.execute(
        select(Enrollment.subject_id, Enrollment.teacher_id)
        .where(Enrollment.student_id.in_(students), Enrollment.status == ACTIVE)
        .distinct()
    ).all()
    for subject_id, teacher_id in sorted(pairs):
        sync_subject_room(dbsession, subject_id, teacher_id)
