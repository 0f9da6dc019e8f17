"""Students' figures follow what materials count for: a subscriber to material changes."""

from __future__ import annotations

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
