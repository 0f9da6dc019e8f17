"""Dashboards in the ``dashboard`` cache region, and how writes invalidate them.

Each user's dashboard is stored under ``view:<user id>`` together with the *generations* it
was computed at: a global one (``gen:all``) and the user's own (``gen:user:<id>``). A read
fetches the three keys in one round trip and serves the stored body only when both
generations still match (and it is younger than the region's expiration time). A write
that changes what someone's dashboard shows bumps their generation (a fresh random token)
**after its transaction commits**:

    from thebot.dashboards.cache import invalidate_dashboards, invalidate_dashboards_for

    invalidate_dashboards(request, [teacher.id])              # exactly these users
    invalidate_dashboards_for(request, student_ids=[s.id])    # a student and their watchers
    invalidate_dashboards_for(request, material_ids=[m.id])   # everyone a material reaches
    invalidate_dashboards_for(request, subject_ids=[sub.id])  # a subject's teachers/students
    invalidate_all_dashboards(request)                        # rare, global changes

Why generations and not deleting keys: a reader that computed from data read before the
commit stores its body with the generation it read first, which the bump has replaced, so
the stale body is never served (on PostgreSQL, where each statement sees the latest commit;
on SQLite a request whose snapshot predates the commit may still store one stale body,
served at most until the region's expiration, 60 s). An aborted transaction bumps nothing.
A cache that is down never fails a request: reads compute, bumps are logged and dropped.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from dogpile.cache.api import NO_VALUE
from sqlalchemy import Select, or_, select, union, union_all
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, StudentProfile, User
from thebot.catalog.models import Enrollment, EnrollmentStatus, TeacherSubject
from thebot.events import DataReplaced
from thebot.materials.models import (
    Material,
    MaterialAssignment,
    MaterialProgress,
    MaterialSubmission,
)
from thebot.outages import OUTAGES
from thebot.responses import encode_json

log = logging.getLogger(__name__)
OUTAGE_COMPONENT = "dashboard cache"

REGION = "dashboard"
GEN_ALL = "gen:all"
FORMAT = 2  # bump when the stored shape changes, so old entries are ignored
_PENDING = object()  # per-transaction data key: the bumps waiting for the commit


def gen_key(user_id: int) -> str:
    return f"gen:user:{user_id}"


def view_key(user_id: int) -> str:
    return f"view:{user_id}"


def new_token() -> str:
    return secrets.token_hex(8)


def region_of(registry: Any) -> Any:
    return registry["cache_regions"][REGION]


# --- reading ------------------------------------------------------------------------------


def cached_dashboard(
    registry: Any, user: User, role: str, build: Callable[[], dict[str, Any]]
) -> tuple[bytes, str]:
    """The user's dashboard as (JSON bytes, ETag): from the cache, or ``build()`` (then stored).

    The body is kept encoded: a hit is one cache read and no JSON work at all.
    """
    region = region_of(registry)
    keys = [GEN_ALL, gen_key(user.id), view_key(user.id)]
    try:
        gen_all, gen_user, stored = region.get_multi(keys, ignore_expiration=True)
        fresh = {}
        if gen_all is NO_VALUE:
            gen_all = fresh[GEN_ALL] = new_token()
        if gen_user is NO_VALUE:
            gen_user = fresh[gen_key(user.id)] = new_token()
        if fresh:
            region.set_multi(fresh)  # before computing: a later bump must win (see above)
    except Exception as exc:  # logged once per outage, not per request (thebot.outages)
        OUTAGES.failed(OUTAGE_COMPONENT, exc, "computing dashboards without it")
        return encode_json(build())
    OUTAGES.recovered(OUTAGE_COMPONENT)
    generations = [gen_all, gen_user]
    if _is_current(stored, role, generations, region.expiration_time):
        return stored["body"], stored["etag"]
    body, etag = encode_json(build())
    entry = {"v": FORMAT, "role": role, "gens": generations, "at": time.time()}
    entry.update(body=body, etag=etag)
    try:
        region.set(view_key(user.id), entry)
    except Exception as exc:
        OUTAGES.failed(OUTAGE_COMPONENT, exc, "a dashboard not stored")
    return body, etag


def _is_current(stored: Any, role: str, generations: list[str], ttl: float | None) -> bool:
    if not isinstance(stored, dict) or stored.get("v") != FORMAT:
        return False
    if stored.get("role") != role or stored.get("gens") != generations:
        return False
    return ttl is None or ttl < 0 or time.time() - stored.get("at", 0) < ttl


# --- invalidating -------------------------------------------------------------------------


def bump_generations(registry: Any, user_ids: Iterable[int], *, everyone: bool = False) -> None:
    """Invalidate now (no transaction): the dashboards of ``user_ids`` (or of everyone)."""
    mapping = {gen_key(uid): new_token() for uid in sorted(set(user_ids))}
    if everyone:
        mapping[GEN_ALL] = new_token()
    if not mapping:
        return
    try:
        region_of(registry).set_multi(mapping)
    except Exception as exc:  # the data is committed; a stale dashboard expires on its own
        OUTAGES.failed(OUTAGE_COMPONENT, exc, f"{len(mapping)} dashboard(s) not invalidated")


class _Pending:
    def __init__(self) -> None:
        self.user_ids: set[int] = set()
        self.everyone = False


def _pending(request: Any) -> _Pending | None:
    """The bumps this request's transaction will make on commit (``None``: no transaction)."""
    try:
        txn = request.tm.get()
    except Exception:  # no transaction begun (explicit manager): nothing to wait for
        return None
    try:
        return txn.data(_PENDING)
    except KeyError:
        pending = _Pending()
        txn.set_data(_PENDING, pending)
        registry = request.registry

        def after_commit(success: bool) -> None:
            if success:
                bump_generations(registry, pending.user_ids, everyone=pending.everyone)

        txn.addAfterCommitHook(after_commit)
        return pending


def forget_every_dashboard(registry: Any) -> Callable[[DataReplaced], None]:
    """A ``DataReplaced`` subscriber for ``registry``: a restore replaced the data every
    stored dashboard was computed from."""

    def forget(event: DataReplaced) -> None:
        bump_generations(registry, (), everyone=True)

    return forget


def invalidate_dashboards(request: Any, user_ids: Iterable[int | None]) -> None:
    """After this request's transaction commits, the dashboards of ``user_ids`` are stale."""
    ids = {int(i) for i in user_ids if i is not None}
    if not ids:
        return
    pending = _pending(request)
    if pending is None:
        bump_generations(request.registry, ids)
    else:
        pending.user_ids |= ids


def invalidate_all_dashboards(request: Any) -> None:
    """After this request's transaction commits, every dashboard is stale."""
    pending = _pending(request)
    if pending is None:
        bump_generations(request.registry, (), everyone=True)
    else:
        pending.everyone = True


def invalidate_dashboards_for(
    request: Any,
    *,
    user_ids: Iterable[int | None] = (),
    student_ids: Iterable[int] = (),
    material_ids: Iterable[int] = (),
    subject_ids: Iterable[int] = (),
) -> None:
    """Invalidate everyone whose dashboard shows these things (one query; see ``audience``).

    Call it after the change is flushed, so the query sees the new rows.
    """
    audience = dashboard_audience(
        request.dbsession,
        student_ids=student_ids,
        material_ids=material_ids,
        subject_ids=subject_ids,
    )
    invalidate_dashboards(request, {*audience, *(i for i in user_ids if i is not None)})


def dashboard_audience(
    dbsession: Session,
    *,
    student_ids: Iterable[int] = (),
    material_ids: Iterable[int] = (),
    subject_ids: Iterable[int] = (),
) -> set[int]:
    """Users whose dashboards can show data about these students, materials or subjects.

    - a student is watched by themself, their parents, their tutor and the teachers of their
      active enrollments;
    - a material reaches its author, the active teachers of its subject, and the students it
      is assigned to or who have progress or a submission on it (with their watchers);
    - a subject reaches its active teachers and its enrolled students (with their watchers).
    """
    students, materials, subjects = set(student_ids), set(material_ids), set(subject_ids)
    if not (students or materials or subjects):
        return set()
    reached: list[Select] = []
    if students:
        reached.append(select(User.id.label("user_id")).where(User.id.in_(students)))
    if materials:
        for model in (MaterialAssignment, MaterialProgress, MaterialSubmission):
            reached.append(
                select(model.student_id.label("user_id")).where(model.material_id.in_(materials))
            )
    if subjects:
        reached.append(
            select(Enrollment.student_id.label("user_id")).where(
                Enrollment.subject_id.in_(subjects)
            )
        )
    s = union(*reached).cte("dashboard_students") if len(reached) > 1 else reached[0].cte()
    student_ids_q = select(s.c.user_id)
    people: list[Select] = [
        select(s.c.user_id.label("user_id")),
        select(ParentLink.parent_id).where(ParentLink.student_id.in_(student_ids_q)),
        select(StudentProfile.tutor_id).where(
            StudentProfile.user_id.in_(student_ids_q), StudentProfile.tutor_id.is_not(None)
        ),
        select(Enrollment.teacher_id).where(
            Enrollment.student_id.in_(student_ids_q),
            Enrollment.status == EnrollmentStatus.ACTIVE.value,
        ),
    ]
    if materials or subjects:
        of_materials = select(Material.subject_id).where(Material.id.in_(materials))
        people.append(select(Material.author_id).where(Material.id.in_(materials)))
        people.append(
            select(TeacherSubject.teacher_id).where(
                TeacherSubject.is_active.is_(True),
                or_(
                    TeacherSubject.subject_id.in_(of_materials),
                    TeacherSubject.subject_id.in_(subjects),
                ),
            )
        )
    everyone = union_all(*people).subquery("dashboard_audience")
    return {uid for uid in dbsession.scalars(select(everyone.c.user_id).distinct()) if uid}
