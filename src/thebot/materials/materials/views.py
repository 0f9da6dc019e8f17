"""Materials API: list, create, read, edit, delete, assign; upload a material's file.

Progress, comments and submissions have their own packages beside this one. Each view
parses (schema), is authorized by its resource's ACL (``resources``), calls the service
(``service``, ``listing``; the service records what changed as ``thebot.materials.events``)
and audits.
"""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.materials.materials import listing, service
from thebot.materials.materials.resources import (
    MATERIAL_ID_PATH,
    MATERIAL_PATH,
    MaterialFileResource,
    MaterialResource,
    MaterialsRoot,
)
from thebot.materials.materials.schemas import (
    AssignRequest,
    AssignResult,
    CreateMaterialRequest,
    MaterialFileSchema,
    MaterialPage,
    MaterialSchema,
    MaterialsListRequest,
    UpdateMaterialRequest,
)
from thebot.media.models import MediaKind
from thebot.media.schemas import upload_validator
from thebot.media.service import OWNER_MATERIAL, discard_media, media_payload, store_upload
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    ASSIGN_MATERIAL,
    CREATE_MATERIAL,
    DELETE_MATERIAL,
    EDIT_MATERIAL,
    LIST_MATERIALS,
    UPLOAD_MATERIAL_FILE,
    VIEW_MATERIAL,
)
from thebot.responses import check_if_match, created, no_content, with_etag
from thebot.schemas import NoContent, NoQueryRequest, responds

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
material_file = ApiService(
    name="materials_material_file",
    path="/api/materials/{material_id}/file/",
    description="The file of a material: multipart upload, replaces the previous file",
    factory=MaterialFileResource,
)
assign = ApiService(
    name="materials_assign",
    path=MATERIAL_PATH + "assign/",
    path_info=MATERIAL_ID_PATH,
    description="Assign a material to students",
    factory=MaterialResource,
)


# --- materials ----------------------------------------------------------------------------


@materials.get(
    permission=LIST_MATERIALS,
    schema=MaterialsListRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialPage, "A page of materials (without their content)"),
)
def list_materials(request: Request) -> dict[str, Any]:
    """Materials the caller sees, newest first; filters ``subject``, ``type``, ``status``,
    ``author``, ``tag``, ``is_public`` and ``q`` (title or content)."""
    query = request.validated["querystring"]
    dbsession = request.dbsession
    stmt, params = listing.materials_query(
        request.context.viewer, query, dialect=dbsession.get_bind().dialect.name
    )
    rows, next_cursor = paginate_request(
        request, stmt, listing.LIST_ORDER, params, rows=listing.page_rows
    )
    return page_body([listing.material_item(row) for row in rows], next_cursor)


@materials.post(
    permission=CREATE_MATERIAL,
    schema=CreateMaterialRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialSchema, "The new material", 201),
)
def create_material(request: Request) -> dict[str, Any]:
    """Create a material in a subject the caller teaches (admins: any); status ``active``
    publishes it at once."""
    viewer = request.context.viewer
    new = service.create_material(request.dbsession, viewer, request.validated["body"])
    audit(
        request,
        "material.created",
        target_type="material",
        target_id=new.id,
        subject_id=new.subject_id,
        status=new.status,
    )
    created(request, "materials_material", material_id=new.id)
    return listing.material_detail(request.dbsession, new, editor=True)


def material_body(request: Request) -> dict[str, Any]:
    context = request.context
    return listing.material_detail(request.dbsession, context.material, editor=context.may_edit)


@material.get(
    permission=VIEW_MATERIAL,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialSchema, "The material"),
)
def get_material(request: Request) -> dict[str, Any]:
    return with_etag(request, material_body(request))


@material.patch(
    permission=EDIT_MATERIAL,
    schema=UpdateMaterialRequest(),
    tags=TAGS,
    response_schemas=responds(MaterialSchema, "The updated material"),
)
def patch_material(request: Request) -> dict[str, Any]:
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
        audit(request, "material.updated", target_type="material", target_id=target.id, **details)
    return with_etag(request, material_body(request))


@material.delete(
    permission=DELETE_MATERIAL,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deleted", 204),
)
def delete_material(request: Request) -> Response:
    """Soft delete (its author or an admin): from now on nobody sees it."""
    target = request.context.material
    service.delete_material(request.dbsession, target)
    audit(request, "material.deleted", target_type="material", target_id=target.id)
    return no_content()


@assign.post(
    permission=ASSIGN_MATERIAL,
    schema=AssignRequest(),
    tags=TAGS,
    response_schemas=responds(AssignResult, "Whom the material is assigned to"),
)
def assign_material(request: Request) -> dict[str, Any]:
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
            "material.assigned",
            target_type="material",
            target_id=target.id,
            student_ids=result.assigned,
        )
    return result.as_dict()


@material_file.post(
    permission=UPLOAD_MATERIAL_FILE,
    validators=(upload_validator,),
    tags=["media"],
    response_schemas=responds(MaterialFileSchema, "The material's new file", 201),
)
def upload_material_file(request: Request) -> dict[str, Any]:
    """Multipart field ``file``: PDF, Word, PowerPoint, Excel, OpenDocument, plain text or an
    image, sniffed from its bytes; replaces (and deletes) the material's previous file."""
    material = request.context.material
    previous = material.file
    media = store_upload(
        request,
        request.validated["file"],
        kind=MediaKind.MATERIAL.value,
        owner_type=OWNER_MATERIAL,
        owner_id=material.id,
    )
    material.file = media
    if previous is not None:
        discard_media(request, previous)
    audit(
        request,
        "material.file_uploaded",
        target_type="material",
        target_id=material.id,
        file_id=media.id,
        content_type=media.content_type,
        size=media.size,
        replaced_file_id=previous.id if previous is not None else None,
    )
    request.dbsession.flush()
    request.response.status = 201
    request.response.headers["Location"] = request.application_url + media_payload(media)["url"]
    return {"material_id": material.id, "file": media_payload(media)}
