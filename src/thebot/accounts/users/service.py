"""Account operations: create, update, deactivate users; their JSON; the admin's user list.

Plain functions over a session and values (no request): the views parse, authorize, call
these and audit. Role profiles: ``service_profiles``; students, parent links and pairing
codes: ``service_relationships``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts import visibility
from thebot.accounts.credentials import passwords
from thebot.accounts.credentials.revocation import revoke_access
from thebot.accounts.events import people_changed, user_fields_changed
from thebot.accounts.models import (
    ParentLink,
    Role,
    StudentProfile,
    TeacherProfile,
    TutorProfile,
    User,
)
from thebot.accounts.users.schemas import normalise_phone
from thebot.accounts.users.usernames import unique_username
from thebot.errors import Conflict, Forbidden, Invalid, field_error
from thebot.schemas import iso

PROTECTED_USER_FIELDS = frozenset({"role", "email", "is_active", "password"})
PROFILE_MODELS: dict[str, type] = {
    Role.STUDENT.value: StudentProfile,
    Role.TEACHER.value: TeacherProfile,
    Role.TUTOR.value: TutorProfile,
}


class ProtectedFieldsDenied(Forbidden):
    """A non-admin tried to change a protected field (the view audits it)."""

    def __init__(self, fields: Iterable[str]):
        self.fields = sorted(fields)
        super().__init__(
            f"Only administrators may change {', '.join(self.fields)}.",
            errors=[
                field_error(f, "Only administrators may change this field") for f in self.fields
            ],
        )


def taken(field: str) -> Conflict:
    """Another account already has this email or username (409 naming the field)."""
    message = f"A user with this {field} already exists."
    return Conflict(message, errors=[field_error(field, message)])


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == Role.ADMIN.value


# --- creating and changing users ------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_unique(
    dbsession: Session,
    *,
    email: str | None = None,
    username: str | None = None,
    exclude: int | None = None,
) -> None:
    """409 naming the field when another account already has this email or username."""
    for field, column, value in (
        ("email", User.email, email),
        ("username", User.username, username),
    ):
        if value is None:
            continue
        stmt = select(exists().where(column == value, *([User.id != exclude] if exclude else [])))
        if dbsession.scalar(stmt):
            raise taken(field)


def check_password(password: str, attrs: Any, min_length: int, field: str = "password") -> None:
    """400 listing every password rule broken (the rules: ``accounts.credentials.passwords``)."""
    problems = passwords.validate_password(password, attrs, min_length=min_length)
    if problems:
        raise Invalid(
            errors=[field_error(field, message) for message in problems],
            detail="The password is not acceptable.",
        )


def flush_or_conflict(dbsession: Session, field: str = "username") -> None:
    """Flush in a savepoint: a unique violation lost to a concurrent request becomes a 409."""
    try:
        with dbsession.begin_nested():
            dbsession.flush()
    except IntegrityError as exc:
        raise taken(field) from exc


def ensure_profile(dbsession: Session, user: User) -> Any:
    """The role profile of ``user``, created when missing (``None`` for parents and admins)."""
    model = PROFILE_MODELS.get(user.role)
    if model is None:
        return None
    profile = dbsession.get(model, user.id)
    if profile is None:
        profile = model(user_id=user.id)
        dbsession.add(profile)
    return profile


def create_user(
    dbsession: Session,
    *,
    actor: User | None,
    email: str,
    role: str,
    username: str | None = None,
    first_name: str = "",
    last_name: str = "",
    phone: str | None = None,
    password: str | None = None,
    is_active: bool = True,
    min_password_length: int = 8,
) -> tuple[User, str | None]:
    """A new account with its role profile; returns it and the generated password, if any.

    Without ``username`` one is derived from the names (or the email); without ``password`` a
    strong one is generated: the caller shows it once, nothing keeps it.
    """
    email = normalise_email(email)
    if username:
        username = username.strip().lower()
    else:
        username = unique_username(dbsession, first_name, last_name, fallback=email.split("@")[0])
    check_unique(dbsession, email=email, username=username)
    attrs = {
        "username": username,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
    }
    generated = None
    if password is None:
        password = generated = passwords.generate_password()
    else:
        check_password(password, attrs, min_password_length)
    user = User(
        email=email,
        username=username,
        first_name=first_name,
        last_name=last_name,
        phone=normalise_phone(phone),
        role=role,
        is_active=is_active,
        is_staff=role == Role.ADMIN.value,
        password_hash=passwords.hash_password(password),
        created_by_id=actor.id if actor is not None else None,
    )
    dbsession.add(user)
    flush_or_conflict(dbsession)
    ensure_profile(dbsession, user)
    dbsession.flush()
    return user, generated


def update_user(
    dbsession: Session,
    actor: User,
    user: User,
    changes: dict[str, Any],
    *,
    min_password_length: int = 8,
    registry: Any = None,
) -> list[str]:
    """Apply a PATCH; returns the names of the fields that changed.

    Protected fields (role, email, is_active, password) are for admins only: anyone else
    gets ``ProtectedFieldsDenied`` before anything is touched.
    """
    protected = PROTECTED_USER_FIELDS & changes.keys()
    if protected and not is_admin(actor):
        raise ProtectedFieldsDenied(protected)
    if actor.id == user.id and (
        changes.get("is_active") is False or changes.get("role", user.role) != user.role
    ):
        raise Conflict("You cannot deactivate your own account or change your own role.")
    changed: list[str] = []
    if "email" in changes:
        changes["email"] = normalise_email(changes["email"])
        check_unique(dbsession, email=changes["email"], exclude=user.id)
    if "username" in changes:
        changes["username"] = changes["username"].strip().lower()
        check_unique(dbsession, username=changes["username"], exclude=user.id)
    if "phone" in changes:
        changes["phone"] = normalise_phone(changes["phone"])
    for field in ("email", "username", "first_name", "last_name", "phone"):
        if field in changes and getattr(user, field) != changes[field]:
            setattr(user, field, changes[field])
            changed.append(field)
    if "role" in changes and changes["role"] != user.role:
        change_role(dbsession, user, changes["role"])
        changed.append("role")
    if "is_active" in changes and changes["is_active"] != user.is_active:
        user.is_active = changes["is_active"]
        if not user.is_active:
            revoke_access(dbsession, user.id, registry)
        changed.append("is_active")
    if "password" in changes:
        check_password(changes["password"], _attrs(user), min_password_length)
        user.password_hash = passwords.hash_password(changes["password"])
        revoke_access(dbsession, user.id, registry)
        changed.append("password")
    flush_or_conflict(dbsession, "email" if "email" in changed else "username")
    if changed:
        user_fields_changed(dbsession, user.id, changed)
    return changed


def change_role(dbsession: Session, user: User, role: str) -> None:
    """Admin rights follow the role; relationships that only make sense in the old role
    must be removed first (409), so no link silently changes meaning."""
    blocking = role_change_blockers(dbsession, user)
    if blocking:
        message = f"Remove this user's {' and '.join(blocking)} before changing the role."
        raise Conflict(message, errors=[field_error("role", message)])
    user.role = role
    user.is_staff = role == Role.ADMIN.value
    ensure_profile(dbsession, user)


def role_change_blockers(dbsession: Session, user: User) -> list[str]:
    pairs = visibility.teaching_pairs(dbsession).subquery()
    checks: dict[str, Any] = {}
    if user.role == Role.STUDENT.value:
        checks["parent links"] = exists().where(ParentLink.student_id == user.id)
        checks["teachers/tutor"] = exists().where(pairs.c.student_id == user.id)
    elif user.role in visibility.TEACHING_ROLES:
        checks["students"] = exists().where(pairs.c.teacher_id == user.id)
    elif user.role == Role.PARENT.value:
        checks["children links"] = exists().where(ParentLink.parent_id == user.id)
    if not checks:
        return []
    row = dbsession.execute(
        select(*[c.label(f"c{i}") for i, c in enumerate(checks.values())])
    ).one()
    return [name for name, value in zip(checks, row, strict=True) if value]


def deactivate_user(dbsession: Session, actor: User, user: User, registry: Any = None) -> bool:
    """DELETE: deactivate (never delete) and revoke access; False when already inactive."""
    if actor.id == user.id:
        raise Conflict("You cannot deactivate your own account.")
    was_active = user.is_active
    user.is_active = False
    revoke_access(dbsession, user.id, registry)
    dbsession.flush()
    if was_active:
        people_changed(dbsession, user_ids=[user.id])
    return was_active


def _attrs(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


# --- representations --------------------------------------------------------------------


def user_data(user: User) -> dict[str, Any]:
    """The public JSON of a user (never the password hash)."""
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "role": user.role,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "created_at": iso(user.created_at),
        "last_login": iso(user.last_login),
    }


BRIEF_FIELDS = ("id", "username", "first_name", "last_name", "role")


def brief(user: User) -> dict[str, Any]:
    """How a related person appears inside another user's profile (``BRIEF_FIELDS``; list
    queries select those columns and zip them with the names)."""
    return {name: getattr(user, name) for name in BRIEF_FIELDS}


# --- lists ------------------------------------------------------------------------------


def users_query(
    *, role: str | None = None, q: str | None = None, is_active: bool | None = None
) -> Select:
    """The admin's user list, filtered; ``q`` matches email, username and names."""
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    if q:
        stmt = stmt.where(
            or_(
                User.email.icontains(q, autoescape=True),
                User.username.icontains(q, autoescape=True),
                User.first_name.icontains(q, autoescape=True),
                User.last_name.icontains(q, autoescape=True),
            )
        )
    return stmt
