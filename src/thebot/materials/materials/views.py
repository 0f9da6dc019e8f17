"""Materials API: list, create, read, edit, delete, assign; progress on a material.

Comments are in ``comment_views``, submissions in ``submission_views``. Each view parses
(schema), is authorized by its resource's ACL (``material_resources``), calls the service
(``materials``, ``progress``), audits and invalidates the dashboards its change affects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyramid.response import Response

from thebot.api import ApiService
from thebot.audit import audit
from thebot.events import ids, record
from thebot.materials import progress
from thebot.materials.events import MaterialAssigned, MaterialChanged, ProgressRecorded
from thebot.materials.materials import listing as reads
from thebot.materials.materials import service
from thebot.materials.materials.resources import (
    MATERIAL_ID_PATH,
    MATERIAL_PATH,
    MaterialResource,
    MaterialsRoot,
)
from thebot.materials.materials.responses import (
    AssignResult,
    MaterialPage,
    MaterialSchema,
    ProgressPage,
    ProgressSchema,
)
from thebot.materials.materials.schemas import (
    AssignRequest,
    CreateMaterialRequest,
    MaterialsListRequest,
    ProgressListRequest,
    ProgressRequest,
    UpdateMaterialRequest,
)
from thebot.materials.models import Material, MaterialStatus
from thebot.pagination import page_body, paginate_request
from thebot.responses import check_if_match, created, no_content, with_etag
from thebot.schemas import NoContent, NoQueryRequest, responds
from thebot.security import (
    ASSIGN_MATERIAL,
    CREATE_MATERIAL,
    DELETE_MATERIAL,
    EDIT_MATERIAL,
    LIST_MATERIALS,
    RECORD_PROGRESS,
    VIEW_MATERIAL,
    VIEW_PROGRESS,
)

TAGS = ["materials"]

materials = ApiService(
    name="materials",
    path="/api/materials/",
    description="Learning materials the caller sees; teachers, tutors and admins create them",
    factory=MaterialsRoot,
)
material = ApiService(
    name="materials_material",
    path=MATERIAL_PATH,
    path_info=MATERIAL_ID_PATH,
    description="One material; DELETE removes it (soft)",
    factory=MaterialResource,
)
assign = ApiService(
    name="materials_assign",
    path=MATERIAL_PATH + "assign/",
    path_info=MATERIAL_ID_PATH,
    description="Assign a material to students",
    factory=MaterialResource,
)
progress_service = ApiService(
    name="materials_progress",
    path=MATERIAL_PATH + "progress/",
    path_info=MATERIAL_ID_PATH,
    description="Students' progress on a material",
    factory=MaterialResource,
)


def material_changed(
    request: Any, material: Material, subject_ids: Iterable[int], *, reach: bool = False
) -> None:
    """The material changed (``reach``: in what it counts for, so students' stats too)."""
    event = MaterialChanged(material_ids=(material.id,), subject_ids=ids(subject_ids), reach=reach)
    record(request.dbsession, event)


# --- materials ----------------------------------------------------------------------------


@materials.get(
    permission=LIST_MATERIALS,
    schema=MaterialsListRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialPage, "A page of materials (without their content)"),
)
def list_materials(request: Any) -> dict[str, Any]:
    """Materials the caller sees, newest first; filters ``subject``, ``type``, ``status``,
    ``author``, ``tag``, ``is_public`` and ``q`` (title or content)."""
    query = request.validated["querystring"]
    dbsession = request.dbsession
    stmt, params = reads.materials_query(
        request.context.viewer, query, dialect=dbsession.get_bind().dialect.name
    )
    rows, next_cursor = paginate_request(request, stmt, reads.LIST_ORDER, params)
    return page_body([reads.material_item(row) for row in rows], next_cursor)


@materials.post(
    permission=CREATE_MATERIAL,
    schema=CreateMaterialRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialSchema, "The new material", 201),
)
def create_material(request: Any) -> dict[str, Any]:
    """Create a material in a subject the caller teaches (admins: any); status ``active``
    publishes it at once."""
    viewer = request.context.viewer
    new = service.create_material(request.dbsession, viewer, request.validated["body"])
    audit(
        request,
        "material_created",
        target_type="material",
        target_id=new.id,
        subject_id=new.subject_id,
        status=new.status,
    )
    if new.status == MaterialStatus.ACTIVE.value:
        material_changed(request, new, [new.subject_id], reach=True)
    else:  # a draft shows only on its author's dashboard
        record(request.dbsession, MaterialChanged(users=(viewer.id,)))
    created(request, "materials_material", material_id=new.id)
    return reads.material_detail(request.dbsession, new, editor=True)


def material_body(request: Any) -> dict[str, Any]:
    context = request.context
    return reads.material_detail(request.dbsession, context.material, editor=context.may_edit)


@material.get(
    permission=VIEW_MATERIAL,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialSchema, "The material"),
)
def get_material(request: Any) -> dict[str, Any]:
    return with_etag(request, material_body(request))


@material.patch(
    permission=EDIT_MATERIAL,
    schema=UpdateMaterialRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialSchema, "The updated material"),
)
def patch_material(request: Any) -> dict[str, Any]:
    """Edit (teachers/tutors of its subject, admins); ``status: active``
    publishes it; ``If-Match`` with a stale ETag is a 412."""
    target = request.context.material
    check_if_match(request, material_body(request))
    status_before, subject_before = target.status, target.subject_id
    changed = service.update_material(
        request.dbsession, request.context.viewer, target, dict(request.validated["body"])
    )
    if changed:
        details: dict[str, Any] = {"fields": changed}
        if "status" in changed:
            details.update(status_from=status_before, status_to=target.status)
        if "subject_id" in changed:
            details.update(subject_from=subject_before, subject_to=target.subject_id)
        audit(request, "material_updated", target_type="material", target_id=target.id, **details)
        subjects = {subject_before, target.subject_id}
        reach = bool(service.REACH_FIELDS.intersection(changed))
        material_changed(request, target, subjects, reach=reach)
    return with_etag(request, material_body(request))


@material.delete(
    permission=DELETE_MATERIAL,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deleted", 204),
)
def delete_material(request: Any) -> Response:
    """Soft delete (its author or an admin): from now on nobody sees it."""
    target = request.context.material
    service.delete_material(request.dbsession, target)
    audit(request, "material_deleted", target_type="material", target_id=target.id)
    material_changed(request, target, [target.subject_id], reach=True)
    return no_content()


@assign.post(
    permission=ASSIGN_MATERIAL,
    schema=AssignRequest(),
    tags=TAGS,
    response_schemas=responds(AssignResult, "Whom the material is assigned to"),
)
def assign_material(request: Any) -> dict[str, Any]:
    """Assign to students the caller teaches (admins: any student); already assigned ones
    are kept; anyone else named makes it a 400 that changes nothing."""
    target = request.context.material
    result = service.assign_students(
        request.dbsession,
        request.context.viewer,
        target,
        request.validated["body"]["student_ids"],
    )
    if result.assigned:
        audit(
            request,
            "material_assigned",
            target_type="material",
            target_id=target.id,
            student_ids=result.assigned,
        )
        event = MaterialAssigned(users=(target.author_id,), student_ids=ids(result.assigned))
        record(request.dbsession, event)
    return result.as_dict()


# --- progress -----------------------------------------------------------------------------


@progress_service.get(
    permission=VIEW_PROGRESS,
    schema=ProgressListRequest(),
    tags=TAGS,
    response_schemas=responds(ProgressPage, "Progress rows the caller may see"),
)
def list_progress(request: Any) -> dict[str, Any]:
    """A student sees their own row; parents their children's; teachers and tutors their
    students'; admins everyone's. Most recent activity first; filter ``student``."""
    query = request.validated["querystring"]
    context = request.context
    stmt = progress.progress_query(context.viewer, context.material, query.get("student"))
    rows, next_cursor = paginate_request(request, stmt, progress.LIST_ORDER)
    return page_body(progress.progress_list_data(request.dbsession, rows), next_cursor)


@progress_service.post(
    permission=RECORD_PROGRESS,
    schema=ProgressRequest(),
    tags=TAGS,
    response_schemas=responds(ProgressSchema, "The student's progress now"),
)
def record_progress(request: Any) -> dict[str, Any]:
    """A student reports their own progress: ``percentage`` (clamped to 0-100, never lowers
    the stored value; 100 completes the material) and/or ``time_spent_seconds`` to add."""
    context = request.context
    body = request.validated["body"]
    row = progress.record_progress(
        request.dbsession,
        context.viewer,
        context.material,
        percentage=body.get("percentage"),
        time_spent_seconds=body["time_spent_seconds"],
    )
    event = ProgressRecorded(users=(context.material.author_id,), student_ids=(context.viewer.id,))
    record(request.dbsession, event)
    return progress.progress_data(row, context.viewer)
