"""Progress of students on materials, and the profile statistics it feeds.

A progress row per (student, material): ``percentage`` is clamped to 0-100 and never goes
down (a lower value is ignored); reaching 100 completes the material (``is_completed``,
``completed_at`` set once); ``time_spent_seconds`` accumulates the non-negative amounts
reported. Students write only their own rows; others read the rows of students they may see
(``thebot.accounts.relationships.visibility``).

Student statistics (``StudentProfile``), recomputed on every change that moves them:

- ``progress_percent``: the mean percentage, rounded half up, over the student's *learning
  set*: active, not deleted materials that are assigned to them or belong to a subject they
  are actively enrolled in, plus public active materials they have recorded progress on.
  A material of the set without progress counts 0; an empty set gives 0.
- ``points``: over every progress row the student has (whatever became of the material,
  so points never go down): 1 point per full 10 % (``percentage // 10``) plus 10 points
  per completed material, i.e. at most 20 per material; plus the points of every source
  other features add with ``config.add_points_source`` (graded assignments add their final
  scores), so no feature overwrites another's share.
- ``streak_days``: the number of consecutive UTC days, ending on the day of the latest
  progress report, on each of which the student reported progress on some material. It
  is updated when the student reports progress: the same day keeps it, the next day adds
  one, a gap starts again at 1 (a stored streak is therefore "as of the last activity").
- ``accuracy_percent`` is graded work; progress does not touch it.

Whenever a recomputation changes a student's figures, it records ``StatsChanged``: the
dashboards that show them (the student's and their watchers') subscribe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, case, func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import StudentProfile, User
from thebot.accounts.users.service import brief
from thebot.catalog.models import Enrollment, EnrollmentStatus
from thebot.catalog.subjects import users_by_id
from thebot.db import utcnow
from thebot.events import record, registry_of
from thebot.materials.events import ProgressRecorded, StatsChanged
from thebot.materials.models import Material, MaterialAssignment, MaterialProgress, MaterialStatus
from thebot.schemas import iso

COMPLETE = 100
POINTS_PER_COMPLETION = 10
MAX_SECONDS = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL

# ``source(dbsession, student_ids) -> {student_id: points}`` (students without any may be
# left out), summed into ``StudentProfile.points`` with the progress points.
PointsSource = Callable[[Session, Sequence[int]], dict[int, int]]
POINTS_SOURCES = "points_sources"  # registry: {name: PointsSource}


def points_sources(registry: Any) -> dict[str, PointsSource]:
    """The sources added to ``registry`` (``config.add_points_source``), by name."""
    return registry.get(POINTS_SOURCES, {}) if registry is not None else {}


def clamp_percentage(value: int) -> int:
    return max(0, min(COMPLETE, value))


def _locked_row(dbsession: Session, student_id: int, material_id: int) -> MaterialProgress:
    """The (student, material) row, locked for this transaction; created when missing."""
    stmt = (
        select(MaterialProgress)
        .where(
            MaterialProgress.student_id == student_id,
            MaterialProgress.material_id == material_id,
        )
        .with_for_update()
    )
    row = dbsession.execute(stmt).scalar_one_or_none()
    if row is not None:
        return row
    row = MaterialProgress(
        student_id=student_id,
        material_id=material_id,
        percentage=0,
        is_completed=False,
        time_spent_seconds=0,
    )
    try:
        with dbsession.begin_nested():
            dbsession.add(row)
            dbsession.flush()
    except IntegrityError:  # a concurrent first report created it: use (and lock) that one
        return dbsession.execute(stmt).scalar_one()
    return row


def record_progress(
    dbsession: Session,
    student: User,
    material: Material,
    *,
    percentage: int | None = None,
    time_spent_seconds: int = 0,
    now: dt.datetime | None = None,
) -> MaterialProgress:
    """Record a student's report on a material and refresh their statistics."""
    if time_spent_seconds < 0:
        raise ValueError("time spent cannot be negative")
    now = now or utcnow()
    previous_activity = dbsession.scalar(
        select(func.max(MaterialProgress.last_accessed_at)).where(
            MaterialProgress.student_id == student.id
        )
    )
    row = _locked_row(dbsession, student.id, material.id)
    if percentage is not None:
        row.percentage = max(row.percentage, clamp_percentage(percentage))
    if row.percentage >= COMPLETE and not row.is_completed:
        row.is_completed = True
        row.completed_at = now
    row.time_spent_seconds = min(MAX_SECONDS, row.time_spent_seconds + time_spent_seconds)
    row.last_accessed_at = now
    dbsession.flush()
    profile = dbsession.execute(
        select(StudentProfile).where(StudentProfile.user_id == student.id).with_for_update()
    ).scalar_one_or_none()
    if profile is not None:
        profile.streak_days = next_streak(profile.streak_days, previous_activity, now)
    refresh_student_stats(dbsession, [student.id])
    record(dbsession, ProgressRecorded(users=(material.author_id,), student_ids=(student.id,)))
    return row


def next_streak(current: int, previous_activity: dt.datetime | None, now: dt.datetime) -> int:
    """The streak after activity at ``now``, given the student's latest earlier activity."""
    if previous_activity is None:
        return 1
    today = now.astimezone(dt.timezone.utc).date()
    last = previous_activity.astimezone(dt.timezone.utc).date()
    if last >= today:
        return max(current, 1)
    if last == today - dt.timedelta(days=1):
        return current + 1
    return 1


# --- statistics -------------------------------------------------------------------------


def learning_set(student_ids: Sequence[int]) -> CompoundSelect:
    """``SELECT student_id, material_id``: the materials counted in ``progress_percent``."""
    live = and_(Material.status == MaterialStatus.ACTIVE.value, Material.deleted_at.is_(None))
    assigned = (
        select(
            MaterialAssignment.student_id.label("student_id"),
            MaterialAssignment.material_id.label("material_id"),
        )
        .join(Material, Material.id == MaterialAssignment.material_id)
        .where(MaterialAssignment.student_id.in_(student_ids), live)
    )
    enrolled = (
        select(Enrollment.student_id.label("student_id"), Material.id.label("material_id"))
        .join(Material, Material.subject_id == Enrollment.subject_id)
        .where(
            Enrollment.student_id.in_(student_ids),
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
            live,
        )
    )
    public_started = (
        select(
            MaterialProgress.student_id.label("student_id"),
            MaterialProgress.material_id.label("material_id"),
        )
        .join(Material, Material.id == MaterialProgress.material_id)
        .where(MaterialProgress.student_id.in_(student_ids), live, Material.is_public)
    )
    return union(assigned, enrolled, public_started)  # UNION: each pair counted once


def compute_stats(
    dbsession: Session,
    student_ids: Sequence[int],
    sources: Mapping[str, PointsSource] | None = None,
) -> dict[int, dict[str, int]]:
    """``{student_id: {"progress_percent", "points"}}`` for every given student (2 queries,
    and one per points source: ``sources``, by default those of the session's registry)."""
    if sources is None:
        sources = points_sources(registry_of(dbsession))
    pairs = learning_set(student_ids).subquery("learning")
    percent_rows = dbsession.execute(
        select(
            pairs.c.student_id,
            func.count(),
            func.coalesce(func.sum(MaterialProgress.percentage), 0),
        )
        .select_from(pairs)
        .outerjoin(
            MaterialProgress,
            and_(
                MaterialProgress.student_id == pairs.c.student_id,
                MaterialProgress.material_id == pairs.c.material_id,
            ),
        )
        .group_by(pairs.c.student_id)
    ).all()
    row_points = MaterialProgress.percentage // 10 + case(
        (MaterialProgress.is_completed, POINTS_PER_COMPLETION), else_=0
    )
    point_rows = dbsession.execute(
        select(MaterialProgress.student_id, func.coalesce(func.sum(row_points), 0))
        .where(MaterialProgress.student_id.in_(student_ids))
        .group_by(MaterialProgress.student_id)
    ).all()
    stats = {i: {"progress_percent": 0, "points": 0} for i in student_ids}
    for student_id, count, total in percent_rows:
        count, total = int(count), int(total)
        stats[student_id]["progress_percent"] = (2 * total + count) // (2 * count) if count else 0
    for student_id, points in point_rows:
        stats[student_id]["points"] = int(points)
    for source in list(sources.values()):
        for student_id, points in source(dbsession, student_ids).items():
            if student_id in stats:
                stats[student_id]["points"] += points
    return stats


def lock_profiles(dbsession: Session, student_ids: Sequence[int]) -> list[StudentProfile]:
    """The students' profiles, locked until commit, always in id order (two writers locking
    overlapping sets cannot deadlock); lock them before reading what the figures come from."""
    return list(
        dbsession.scalars(
            select(StudentProfile)
            .where(StudentProfile.user_id.in_(student_ids))
            .order_by(StudentProfile.user_id)
            .with_for_update()
        )
    )


def refresh_student_stats(
    dbsession: Session, student_ids: Iterable[int], *, changed: Iterable[int] = ()
) -> None:
    """Recompute ``progress_percent`` and ``points`` of these students (constant queries).

    Call it after any change to what counts for them: progress, assignments, enrollments,
    a material's status, subject, visibility or deletion. The profiles are locked (in id
    order) before anything is read, so a concurrent writer's share (a grade) is never
    overwritten by figures computed without it. ``changed``: students whose other figures
    the caller already changed, announced with these in one ``stats_changed``.
    """
    ids = sorted(set(student_ids))
    if not ids:
        return
    profiles = lock_profiles(dbsession, ids)
    stats = compute_stats(dbsession, ids)
    moved = set(changed)
    for profile in profiles:
        values = stats[profile.user_id]
        if (profile.progress_percent, profile.points) != (
            values["progress_percent"],
            values["points"],
        ):
            profile.progress_percent = values["progress_percent"]
            profile.points = values["points"]
            moved.add(profile.user_id)
    dbsession.flush()
    stats_changed(dbsession, moved)


def stats_changed(dbsession: Session, student_ids: Iterable[int]) -> None:
    """These students' profile figures changed in this session's transaction: recorded as
    ``StatsChanged`` (a bare session, knowing no registry, has no subscribers to tell)."""
    ids = tuple(sorted(set(student_ids)))
    if ids and registry_of(dbsession) is not None:
        record(dbsession, StatsChanged(student_ids=ids))


# --- reading ----------------------------------------------------------------------------


def visible_progress_clause(viewer: User) -> ColumnElement[bool]:
    """Progress rows of students ``viewer`` may see (their own, children, students taught)."""
    return MaterialProgress.student_id.in_(
        select(User.id).where(people.visible_users_clause(viewer))
    )


def progress_query(viewer: User, material: Material, student_id: int | None = None) -> Select:
    stmt = select(MaterialProgress).where(
        MaterialProgress.material_id == material.id, visible_progress_clause(viewer)
    )
    if student_id is not None:
        stmt = stmt.where(MaterialProgress.student_id == student_id)
    return stmt


LIST_ORDER = ((MaterialProgress.last_accessed_at, "desc"), (MaterialProgress.id, "desc"))


def progress_data(row: MaterialProgress, student: User) -> dict[str, Any]:
    return {
        "material_id": row.material_id,
        "student": brief(student),
        "percentage": row.percentage,
        "is_completed": row.is_completed,
        "completed_at": iso(row.completed_at),
        "time_spent_seconds": row.time_spent_seconds,
        "last_accessed_at": iso(row.last_accessed_at),
        "created_at": iso(row.created_at),
    }


def progress_list_data(
    dbsession: Session, rows: Sequence[MaterialProgress]
) -> list[dict[str, Any]]:
    students = users_by_id(dbsession, (r.student_id for r in rows))
    return [progress_data(r, students[r.student_id]) for r in rows]
