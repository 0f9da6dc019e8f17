"""Relationships: a tutor's students, parent links, and parent pairing codes.

Plain functions over a session and values, as in ``service``; the views audit what they do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from thebot.accounts import visibility
from thebot.accounts.events import student_relations_changed
from thebot.accounts.models import PairingCode, ParentLink, Role, User
from thebot.accounts.users.service import create_user, ensure_profile, is_admin
from thebot.db import utcnow
from thebot.errors import Invalid

# No 0/O, 1/I/L: a code read aloud or copied from paper survives.
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_LENGTH = 8
PAIRING_LIFETIME = dt.timedelta(hours=24)
# One message for unknown, expired and used codes: nothing to learn from a wrong guess.
INVALID_CODE = "This pairing code is not valid."


@dataclass
class NewAccounts:
    """A student created by a tutor, the parent, and the one-time credentials to hand out."""

    student: User
    parent: User | None
    link: ParentLink | None
    credentials: list[dict[str, Any]] = field(default_factory=list)


# --- a tutor's students -----------------------------------------------------------------


def students_query(teacher: User) -> Select:
    """The students ``teacher`` (a tutor) teaches."""
    return select(User).where(
        User.role == Role.STUDENT.value,
        User.id.in_(visibility.students_taught_by(visibility.session_of(teacher), teacher.id)),
    )


def children_query(parent: User) -> Select:
    return select(User).where(
        User.role == Role.STUDENT.value, User.id.in_(visibility.children_of(parent.id))
    )


def find_parent(dbsession: Session, actor: User, parent_id: int) -> User:
    """An existing parent account ``actor`` may link; anything else is one 400 for all cases."""
    parent = dbsession.get(User, parent_id)
    if (
        parent is None
        or parent.role != Role.PARENT.value
        or not parent.is_active
        or not (is_admin(actor) or visibility.can_see(dbsession, actor, parent))
    ):
        raise Invalid("parent_id", "No parent account with this id that you can link")
    return parent


def create_student(
    dbsession: Session,
    *,
    tutor: User,
    student: dict[str, Any],
    parent: dict[str, Any] | None = None,
    parent_id: int | None = None,
) -> NewAccounts:
    """A new student taught by ``tutor``, with a new parent or linked to an existing one.

    Usernames come from the names; passwords are generated, returned here once and stored
    only as hashes.
    """
    existing_parent = find_parent(dbsession, tutor, parent_id) if parent_id is not None else None
    user, student_password = create_user(
        dbsession,
        actor=tutor,
        email=student["email"],
        role=Role.STUDENT.value,
        first_name=student["first_name"],
        last_name=student["last_name"],
        phone=student.get("phone"),
    )
    profile = ensure_profile(dbsession, user)
    profile.tutor_id = tutor.id
    profile.grade = student.get("grade")
    profile.goal = student.get("goal") or ""
    result = NewAccounts(student=user, parent=existing_parent, link=None)
    result.credentials.append(_credentials(user, student_password))
    if parent is not None:
        new_parent, parent_password = create_user(
            dbsession,
            actor=tutor,
            email=parent["email"],
            role=Role.PARENT.value,
            first_name=parent["first_name"],
            last_name=parent["last_name"],
            phone=parent.get("phone"),
        )
        result.parent = new_parent
        result.credentials.append(_credentials(new_parent, parent_password))
    if result.parent is not None:
        result.link, _created = link_parent(
            dbsession, student=user, parent=result.parent, actor=tutor
        )
    dbsession.flush()
    if result.link is None:  # a new link reports the student (tutor and parent) itself
        student_relations_changed(dbsession, user.id)
    return result


def _credentials(user: User, password: str | None) -> dict[str, Any]:
    return {"user_id": user.id, "role": user.role, "username": user.username, "password": password}


# --- parent links -----------------------------------------------------------------------


def link_parent(
    dbsession: Session, *, student: User, parent: User, actor: User | None
) -> tuple[ParentLink, bool]:
    """Link ``parent`` to ``student``; returns the link and whether it is new."""
    if student.role != Role.STUDENT.value:
        raise Invalid("student_id", "Only students have parents")
    if parent.role != Role.PARENT.value:
        raise Invalid("parent_id", "Only parent accounts can be linked as parents")
    existing = get_link(dbsession, student.id, parent.id)
    if existing is not None:
        return existing, False
    link = ParentLink(
        student_id=student.id, parent_id=parent.id, created_by_id=actor.id if actor else None
    )
    dbsession.add(link)
    try:
        with dbsession.begin_nested():
            dbsession.flush()
    except IntegrityError:  # a concurrent request linked them first
        found = get_link(dbsession, student.id, parent.id)
        if found is None:
            raise
        return found, False
    student_relations_changed(dbsession, student.id, former=[parent.id])
    return link, True


def get_link(dbsession: Session, student_id: int, parent_id: int) -> ParentLink | None:
    return dbsession.execute(
        select(ParentLink).where(
            ParentLink.student_id == student_id, ParentLink.parent_id == parent_id
        )
    ).scalar_one_or_none()


def unlink(dbsession: Session, link: ParentLink) -> None:
    dbsession.delete(link)
    dbsession.flush()
    student_relations_changed(dbsession, link.student_id, former=[link.parent_id])


def parent_links_query(student: User) -> Select:
    return (
        select(ParentLink)
        .where(ParentLink.student_id == student.id)
        .options(joinedload(ParentLink.parent))
    )


# --- pairing codes ----------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """Codes are read case-insensitively, ignoring spaces and dashes (``abcd-efgh``)."""
    return "".join(ch for ch in code.upper() if ch not in " -")


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))


def create_pairing_code(
    dbsession: Session, *, student: User, actor: User, now: dt.datetime | None = None
) -> tuple[str, PairingCode]:
    """A single-use code for ``student``: the clear code is returned once, its SHA-256 kept."""
    if student.role != Role.STUDENT.value or not student.is_active:
        raise Invalid("student_id", "Pairing codes are for active student accounts")
    now = now or utcnow()
    while True:  # 31^8 codes: a collision with a stored hash is rare, but must not 500
        code = new_code()
        digest = hash_code(code)
        if dbsession.scalar(select(PairingCode.id).where(PairingCode.code_hash == digest)) is None:
            break
    row = PairingCode(
        student_id=student.id,
        code_hash=digest,
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + PAIRING_LIFETIME,
    )
    dbsession.add(row)
    dbsession.flush()
    return code, row


def redeem_pairing_code(
    dbsession: Session, *, parent: User, code: str, now: dt.datetime | None = None
) -> tuple[ParentLink, bool, User]:
    """Link ``parent`` to the code's student; one 400 for every kind of bad code.

    The code is claimed with a conditional UPDATE, so two redemptions racing for one code
    cannot both succeed.
    """
    now = now or utcnow()
    normalised = normalise_code(code)
    if len(normalised) != PAIRING_LENGTH or any(ch not in PAIRING_ALPHABET for ch in normalised):
        raise _invalid_code()
    row = dbsession.execute(
        select(PairingCode).where(PairingCode.code_hash == hash_code(normalised))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _invalid_code()
    student = dbsession.get(User, row.student_id)
    if student is None or student.role != Role.STUDENT.value or not student.is_active:
        raise _invalid_code()
    # An UPDATE runs on a cursor; Session.execute is only typed as returning rows.
    claimed = cast(
        "CursorResult[Any]",
        dbsession.execute(
            update(PairingCode)
            .where(PairingCode.id == row.id, PairingCode.used_at.is_(None))
            .values(used_at=now, used_by_id=parent.id)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        raise _invalid_code()
    dbsession.refresh(row)
    link, created = link_parent(dbsession, student=student, parent=parent, actor=parent)
    return link, created, student


def _invalid_code() -> Invalid:
    return Invalid("code", INVALID_CODE)
