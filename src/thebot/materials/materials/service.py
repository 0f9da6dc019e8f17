"""Materials: create, edit, publish, soft-delete, assign to students; the list query and the
JSON of a material. Who may do what is decided by ``visibility`` (via the resources); the
functions here enforce what depends on the values (the subject, the students named)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    exists,
    select,
    union,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.catalog.models import Enrollment, EnrollmentStatus, Subject
from thebot.db import utcnow
from thebot.errors import Conflict, Forbidden, Invalid, field_error
from thebot.events import ids, record
from thebot.materials import visibility
from thebot.materials.events import MaterialAssigned, MaterialChanged
from thebot.materials.models import (
    Material,
    MaterialAssignment,
    MaterialProgress,
    MaterialStatus,
    MaterialSubmission,
    MaterialType,
)

ACTIVE = MaterialStatus.ACTIVE.value
EDITABLE = (
    "title",
    "content",
    "subject_id",
    "type",
    "status",
    "video_url",
    "is_public",
    "tags",
    "difficulty",
)
# Changes that move which materials count for students' progress stats (and dashboards).
REACH_FIELDS = frozenset({"status", "subject_id", "is_public"})


def material_changed(
    dbsession: Session, material: Material, subject_ids: Iterable[int], *, reach: bool = False
) -> None:
    """Record that the material changed (``reach``: in what it counts for, so students'
    stats too)."""
    event = MaterialChanged(material_ids=(material.id,), subject_ids=ids(subject_ids), reach=reach)
    record(dbsession, event)


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Lower-cased, trimmed, without duplicates, in the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = " ".join(tag.split()).lower()
        if clean:
            seen.setdefault(clean, None)
    return list(seen)


# --- writing ----------------------------------------------------------------------------


def _subject_for(dbsession: Session, author: User, subject_id: int) -> Subject:
    """The subject, if it exists (400) and ``author`` may write materials in it (403)."""
    subject = dbsession.get(Subject, subject_id)
    if subject is None:
        raise Invalid("subject_id", "No such subject")
    if not visibility.can_author(dbsession, author, subject.id):
        raise Forbidden(
            "Only teachers and tutors of this subject (and administrators) write its materials.",
            errors=[field_error("subject_id", "You do not teach this subject")],
        )
    return subject


def create_material(dbsession: Session, author: User, values: dict[str, Any]) -> Material:
    """A new material by ``author``; created active, it is published at once."""
    _subject_for(dbsession, author, values["subject_id"])
    material = Material(
        title=values["title"],
        content=values.get("content", ""),
        author_id=author.id,
        subject_id=values["subject_id"],
        type=values["type"],
        status=values.get("status", MaterialStatus.DRAFT.value),
        video_url=values.get("video_url"),
        is_public=bool(values.get("is_public", False)),
        tags=normalise_tags(values.get("tags", ())),
        difficulty=values.get("difficulty", 1),
    )
    if material.status == ACTIVE:
        material.published_at = utcnow()
    dbsession.add(material)
    dbsession.flush()
    if material.status == ACTIVE:
        material_changed(dbsession, material, [material.subject_id], reach=True)
    else:  # a draft shows only on its author's dashboard
        record(dbsession, MaterialChanged(users=(author.id,)))
    return material


def update_material(
    dbsession: Session, editor: User, material: Material, changes: dict[str, Any]
) -> list[str]:
    """Apply a partial update; returns the names of the fields that really changed.

    Becoming active (from draft or archived) sets ``published_at``. Moving the material to
    another subject needs the right to write in that subject; a homework that already has
    submissions keeps its type (409).
    """
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    if "tags" in changes:
        changes["tags"] = normalise_tags(changes["tags"])
    changed = [name for name, value in changes.items() if getattr(material, name) != value]
    subject_before = material.subject_id
    if "subject_id" in changed:
        _subject_for(dbsession, editor, changes["subject_id"])
    if "type" in changed and material.type == MaterialType.HOMEWORK.value:
        has_submissions = dbsession.scalar(
            select(exists().where(MaterialSubmission.material_id == material.id))
        )
        if has_submissions:
            detail = "This homework has submissions; its type cannot change."
            raise Conflict(detail, errors=[field_error("type", detail)])
    if "status" in changed and changes["status"] == ACTIVE:
        material.published_at = utcnow()
    for name in changed:
        setattr(material, name, changes[name])
    if changed:
        dbsession.flush()
    if "subject_id" in changed:
        dbsession.expire(material, ["subject"])  # reload the relationship from the new id
    if changed:
        reach = bool(REACH_FIELDS.intersection(changed))
        material_changed(dbsession, material, {subject_before, material.subject_id}, reach=reach)
    return changed


def delete_material(dbsession: Session, material: Material) -> None:
    """Soft delete: the row stays (with its progress and submissions) but nobody sees it."""
    material.deleted_at = utcnow()
    dbsession.flush()
    material_changed(dbsession, material, [material.subject_id], reach=True)


def reached_students(
    dbsession: Session, material: Material, subject_ids: Iterable[int]
) -> set[int]:
    """Students the material counts for: assigned, with progress on it, or actively enrolled
    in one of ``subject_ids`` (its subject, and its previous one after a move)."""
    assigned = select(MaterialAssignment.student_id).where(
        MaterialAssignment.material_id == material.id
    )
    progressed = select(MaterialProgress.student_id).where(
        MaterialProgress.material_id == material.id
    )
    enrolled = select(Enrollment.student_id).where(
        Enrollment.subject_id.in_(list(subject_ids)),
        Enrollment.status == EnrollmentStatus.ACTIVE.value,
    )
    return set(dbsession.scalars(union(assigned, progressed, enrolled)))


@dataclass
class Assignment:
    material_id: int
    assigned: list[int]  # newly assigned by this call
    already_assigned: list[int]
    student_ids: list[int]  # everyone the material is assigned to now

    def as_dict(self) -> dict[str, Any]:
        return {
            "material_id": self.material_id,
            "assigned": self.assigned,
            "already_assigned": self.already_assigned,
            "student_ids": self.student_ids,
        }


def assign_students(
    dbsession: Session, actor: User, material: Material, student_ids: Sequence[int]
) -> Assignment:
    """Assign the material to students ``actor`` may see (admins: any active student).

    Naming anyone else (unknown ids, other roles, inactive accounts, students of other
    teachers) is a 400 that lists them all and changes nothing; already assigned students
    are left as they are.
    """
    wanted = list(dict.fromkeys(student_ids))
    allowed = set(
        dbsession.scalars(
            select(User.id).where(
                User.id.in_(wanted),
                User.role == Role.STUDENT.value,
                User.is_active.is_(True),
                people.visible_users_clause(actor),
            )
        )
    )
    rejected = [i for i in wanted if i not in allowed]
    if rejected:
        raise Invalid(
            detail="Materials can be assigned only to active students you teach.",
            errors=[
                field_error("student_ids", f"Not a student you may assign to: {i}")
                for i in rejected
            ],
        )
    for attempt in range(2):  # a concurrent assignment of the same student: look again once
        existing = set(
            dbsession.scalars(
                select(MaterialAssignment.student_id).where(
                    MaterialAssignment.material_id == material.id,
                    MaterialAssignment.student_id.in_(wanted),
                )
            )
        )
        new = [i for i in wanted if i not in existing]
        try:
            with dbsession.begin_nested():
                dbsession.add_all(
                    MaterialAssignment(
                        material_id=material.id, student_id=i, assigned_by_id=actor.id
                    )
                    for i in new
                )
                dbsession.flush()
            break
        except IntegrityError:
            if attempt:
                raise
    if new:
        event = MaterialAssigned(users=(material.author_id,), student_ids=ids(new))
        record(dbsession, event)
    everyone = sorted(
        dbsession.scalars(
            select(MaterialAssignment.student_id).where(
                MaterialAssignment.material_id == material.id
            )
        )
    )
    return Assignment(material.id, new, [i for i in wanted if i in existing], everyone)


def assigned_student_ids(dbsession: Session, material: Material) -> list[int]:
    return sorted(
        dbsession.scalars(
            select(MaterialAssignment.student_id).where(
                MaterialAssignment.material_id == material.id
            )
        )
    )
