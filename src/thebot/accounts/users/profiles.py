"""Role profiles: what each role's profile holds, who may change it, who sees which fields.

Private fields (a student's goal, tutor and parents; a teacher's or tutor's bio and
experience) are left out of the body for viewers without ``VIEW_PRIVATE``.

Other features add fields to a role's profile with a config directive in their
``includeme`` (accounts imports none of them), e.g. the subjects a teacher teaches:

    config.add_profile_field("teacher", "subjects", subjects_taught)

``fn(dbsession, user_ids)`` returns ``{user_id: value}`` for the users asked about (one query
for many). The fields live in the application registry, found through the session like
``thebot.accounts.visibility``'s teaching relations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from thebot.accounts import visibility
from thebot.accounts.events import RELATION_PROFILE_FIELDS, student_relations_changed
from thebot.accounts.models import ParentLink, Role, StudentProfile, User
from thebot.accounts.users.service import (
    BRIEF_FIELDS,
    PROFILE_MODELS,
    ProtectedFieldsDenied,
    brief,
    ensure_profile,
    is_admin,
)
from thebot.db.lists import in_list
from thebot.db.rows import Layout
from thebot.errors import Invalid, field_error
from thebot.events import registry_of

ProfileField = Callable[[Session, list[int]], Mapping[int, Any]]
FIELDS_KEY = "thebot.profile_fields"  # registry: role -> {name: ProfileField}

PROTECTED_PROFILE_FIELDS = frozenset({"tutor_id"})
# Editable profile fields per role; the stats of a student profile are read-only.
PROFILE_FIELDS: dict[str, frozenset[str]] = {
    Role.STUDENT.value: frozenset({"grade", "goal", "tutor_id"}),
    Role.TEACHER.value: frozenset({"experience_years", "bio"}),
    Role.TUTOR.value: frozenset({"specialization", "experience_years", "bio"}),
    Role.PARENT.value: frozenset(),
    Role.ADMIN.value: frozenset(),
}
STUDENT_STATS = ("progress_percent", "streak_days", "points", "accuracy_percent")


def add_profile_field(config: Any, role: str, name: str, fn: ProfileField) -> None:
    """Config directive ``config.add_profile_field(role, name, fn)``: the profile of a user
    with ``role`` carries ``name`` = ``fn(dbsession, [user_id])[user_id]``."""

    def register() -> None:
        config.registry.setdefault(FIELDS_KEY, {}).setdefault(role, {})[name] = fn

    config.action(("thebot.profile_field", role, name), register)


def profile_fields(dbsession: Session, role: str) -> Mapping[str, ProfileField]:
    """The fields other features add to the profile of ``role`` (see ``add_profile_field``)."""
    registry = registry_of(dbsession)
    if registry is None:
        raise RuntimeError("profile fields: the session knows no request nor registry")
    return registry.get(FIELDS_KEY, {}).get(role, {})


def added_fields(dbsession: Session, user: User) -> dict[str, Any]:
    """The fields other features add to ``user``'s profile, in registration order."""
    fields = profile_fields(dbsession, user.role)
    return {name: fn(dbsession, [user.id])[user.id] for name, fn in fields.items()}


def update_profile(
    dbsession: Session, actor: User, user: User, changes: dict[str, Any]
) -> list[str]:
    """Apply a profile PATCH; fields of another role are a 400, ``tutor_id`` is admin-only."""
    allowed = PROFILE_FIELDS.get(user.role, frozenset())
    foreign = sorted(changes.keys() - allowed)
    if foreign:
        raise Invalid(
            errors=[field_error(f, f"Not a field of the {user.role} profile") for f in foreign],
            detail=f"Not a field of the {user.role} profile: {', '.join(foreign)}.",
        )
    protected = PROTECTED_PROFILE_FIELDS & changes.keys()
    if protected and not is_admin(actor):
        raise ProtectedFieldsDenied(protected)
    if changes.get("tutor_id") is not None:
        tutor = dbsession.get(User, changes["tutor_id"])
        if tutor is None or tutor.role != Role.TUTOR.value or not tutor.is_active:
            raise Invalid("tutor_id", "No active tutor with this id")
    tutor_before = tutor_id_of(dbsession, user)
    profile = ensure_profile(dbsession, user)
    changed = [f for f in sorted(changes) if getattr(profile, f) != changes[f]]
    for field in changed:
        setattr(profile, field, changes[field])
    dbsession.flush()
    if RELATION_PROFILE_FIELDS.intersection(changed):
        student_relations_changed(dbsession, user.id, former=[tutor_before])
    return changed


def tutor_id_of(dbsession: Session, user: User) -> int | None:
    """The assigned tutor of a student (``None`` for other roles)."""
    if user.role != Role.STUDENT.value:
        return None
    profile = dbsession.get(StudentProfile, user.id)
    return profile.tutor_id if profile is not None else None


# Built once: every ``GET /api/auth/me/`` of a student runs both (building them cost more
# than running them); the ids are one parameter (``in_list``). Flat rows (``Layout``), not
# entities: the profile JSON needs a few columns, not ORM objects.
_TUTOR = aliased(User, name="tutor")
_PARENT = aliased(User, name="parent")
_STUDENT_PROFILE = Layout(
    profile=(StudentProfile, ("user_id", "grade", "goal", *STUDENT_STATS)),
    tutor=(_TUTOR, BRIEF_FIELDS),
)
_PROFILES_AND_TUTORS = (
    select(*_STUDENT_PROFILE.columns)
    .select_from(StudentProfile)
    .outerjoin(_TUTOR, _TUTOR.id == StudentProfile.tutor_id)
    .where(in_list(StudentProfile.user_id, "ids"))
)
_PARENTS_OF = Layout(parent=(_PARENT, BRIEF_FIELDS))
_PARENTS = (
    select(*_PARENTS_OF.columns, ParentLink.student_id)
    .join(_PARENT, _PARENT.id == ParentLink.parent_id)
    .where(in_list(ParentLink.student_id, "ids"))
    .order_by(ParentLink.id)
)
_NO_PROFILE = {"grade": None, "goal": "", **dict.fromkeys(STUDENT_STATS, 0)}


def student_profiles(
    dbsession: Session, students: list[User], *, private: bool
) -> dict[int, dict[str, Any]]:
    """Profile JSON of several students in two queries (profiles + tutors, parents)."""
    ids = [s.id for s in students]
    if not ids:
        return {}
    profiles = {
        row.profile_user_id: (
            _STUDENT_PROFILE.joined(row, "profile"),
            _STUDENT_PROFILE.part(row, "tutor"),
        )
        for row in dbsession.execute(_PROFILES_AND_TUTORS, {"ids": ids})
    }
    parents: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if private:
        for row in dbsession.execute(_PARENTS, {"ids": ids}):
            parents[row.student_id].append(_PARENTS_OF.joined(row, "parent"))
    result = {}
    for student in students:
        profile, tutor = profiles.get(student.id, (_NO_PROFILE, None))
        data: dict[str, Any] = {
            "user_id": student.id,
            "role": student.role,
            "grade": profile["grade"],
            "stats": {name: profile[name] for name in STUDENT_STATS},
        }
        if private:
            data["goal"] = profile["goal"]
            data["tutor"] = tutor
            data["parents"] = parents[student.id]
        result[student.id] = data
    return result


def profile_data(dbsession: Session, user: User, *, viewer: User, private: bool) -> dict[str, Any]:
    """The role profile of ``user`` as ``viewer`` may see it (private fields omitted if not)."""
    if user.role == Role.STUDENT.value:
        return {
            **student_profiles(dbsession, [user], private=private)[user.id],
            **added_fields(dbsession, user),
        }
    data: dict[str, Any] = {"user_id": user.id, "role": user.role}
    data.update(added_fields(dbsession, user))
    if user.role in visibility.TEACHING_ROLES:
        profile = dbsession.get(PROFILE_MODELS[user.role], user.id)
        if user.role == Role.TUTOR.value:
            data["specialization"] = profile.specialization if profile else ""
        if private:
            data["experience_years"] = profile.experience_years if profile else 0
            data["bio"] = profile.bio if profile else ""
    elif user.role == Role.PARENT.value:
        # Only the children the viewer may see: a profile must not reveal other families.
        children = dbsession.scalars(
            select(User)
            .where(User.id.in_(visibility.children_of(user.id)))
            .where(visibility.visible_users_clause(viewer))
            .order_by(User.id)
        ).all()
        data["children"] = [brief(child) for child in children]
    return data
