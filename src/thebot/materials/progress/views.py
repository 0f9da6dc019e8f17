"""Progress API: students report their progress on a material; those who see them read it.

Rules: ``thebot.materials.progress.service``; who sees which rows: the viewer's relations
(``thebot.accounts.relationships.visibility``); the material: its resource's ACL.
"""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, Request
from thebot.materials.materials.resources import (
    MATERIAL_ID_PATH,
    MATERIAL_PATH,
    MaterialResource,
)
from thebot.materials.progress import service
from thebot.materials.progress.schemas import (
    ProgressListRequest,
    ProgressPage,
    ProgressRequest,
    ProgressSchema,
)
from thebot.pagination import page_body, paginate_request
from thebot.permissions import RECORD_PROGRESS, VIEW_PROGRESS
from thebot.schemas import responds

TAGS = ["materials"]

progress = ApiService(
    name="materials_progress",
    path=MATERIAL_PATH + "progress/",
    path_info=MATERIAL_ID_PATH,
    description="Students' progress on a material",
    factory=MaterialResource,
)


@progress.get(
    permission=VIEW_PROGRESS,
    schema=ProgressListRequest(),
    tags=TAGS,
    response_schemas=responds(ProgressPage, "Progress rows the caller may see"),
)
def list_progress(request: Request) -> dict[str, Any]:
    """A student sees their own row; parents their children's; teachers and tutors their
    students'; admins everyone's. Most recent activity first; filter ``student``."""
    query = request.validated["querystring"]
    context = request.context
    stmt = service.progress_query(context.viewer, context.material, query.get("student"))
    rows, next_cursor = paginate_request(request, stmt, service.LIST_ORDER)
    return page_body(service.progress_list_data(request.dbsession, rows), next_cursor)


@progress.post(
    permission=RECORD_PROGRESS,
    schema=ProgressRequest(),
    tags=TAGS,
    response_schemas=responds(ProgressSchema, "The student's progress now"),
)
def record_progress(request: Request) -> dict[str, Any]:
    """A student reports their own progress: ``percentage`` (clamped to 0-100, never lowers
    the stored value; 100 completes the material) and/or ``time_spent_seconds`` to add."""
    context = request.context
    body = request.validated["body"]
    row = service.record_progress(
        request.dbsession,
        context.viewer,
        context.material,
        percentage=body.get("percentage"),
        time_spent_seconds=body["time_spent_seconds"],
    )
    return service.progress_data(row, context.viewer)
