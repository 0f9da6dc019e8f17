"""Students' figures follow what materials count for: subscribers to material and
enrollment changes (an enrollment brings its subject's materials into the learning set)."""

from __future__ import annotations

from thebot.catalog.events import EnrollmentChanged
from thebot.events import Committing
from thebot.materials.events import MaterialAssigned, MaterialChanged
from thebot.materials.materials import service as materials
from thebot.materials.models import Material
from thebot.materials.progress.service import refresh_student_stats


def refresh_reached_stats(
    committing: Committing, event: MaterialChanged | MaterialAssigned
) -> None:
    """Students' ``progress_percent`` and ``points`` follow what materials count for."""
    dbsession = committing.dbsession
    if isinstance(event, MaterialAssigned):
        refresh_student_stats(dbsession, event.student_ids)
        return
    if not event.reach:
        return
    for material_id in event.material_ids:
        material = dbsession.get(Material, material_id)
        if material is not None:
            reached = materials.reached_students(dbsession, material, event.subject_ids)
            refresh_student_stats(dbsession, reached)


def refresh_enrolled_stats(committing: Committing, event: EnrollmentChanged) -> None:
    """An enrollment created, ended or reactivated moves what counts for its student."""
    refresh_student_stats(committing.dbsession, event.student_ids)
