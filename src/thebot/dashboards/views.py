"""Dashboards: ``GET /api/dashboard/{student,teacher,tutor,parent}/``, each for its own role.

The body is built from the sections registered for the role (``dashboards``) and served
from the ``dashboard`` cache region until a write invalidates it (``dashboard_cache``).
Responses carry an ``ETag``; ``If-None-Match`` gives a 304.
"""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.response import Response

from thebot.accounts.users.resources import viewer_of
from thebot.api import ApiService, Request
from thebot.dashboards.cache import cached_dashboard
from thebot.dashboards.registry import build_dashboard
from thebot.dashboards.resources import DashboardRoot
from thebot.dashboards.schemas import DashboardSchema
from thebot.permissions import (
    VIEW_PARENT_DASHBOARD,
    VIEW_STUDENT_DASHBOARD,
    VIEW_TEACHER_DASHBOARD,
    VIEW_TUTOR_DASHBOARD,
)
from thebot.responses import encoded_response
from thebot.schemas import NoQueryRequest, responds

TAGS = ["dashboards"]


def dashboard(request: Request, role: str) -> Response:
    user = viewer_of(request)
    if user is None:  # the permission is for signed-in users only
        raise HTTPForbidden()
    data, tag = cached_dashboard(
        request.registry,
        user,
        role,
        lambda: build_dashboard(request.registry, request.dbsession, user, role),
    )
    request.response.cache_control = "private, no-cache"
    return encoded_response(request, data, tag)


def dashboard_service(role: str, description: str) -> ApiService:
    return ApiService(
        name=f"dashboard_{role}",
        path=f"/api/dashboard/{role}/",
        description=description,
        factory=DashboardRoot,
    )


student = dashboard_service(
    "student", "Subjects and teachers, assigned materials with progress, recent feedback"
)
teacher = dashboard_service("teacher", "Students per subject, submissions waiting for review")
tutor = dashboard_service("tutor", "Own students with their subjects and progress")
parent = dashboard_service("parent", "Each child with subjects, progress and teachers")


@student.get(
    permission=VIEW_STUDENT_DASHBOARD,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(DashboardSchema, "The student's dashboard"),
)
def student_dashboard(request: Request) -> Response:
    """Sections ``subjects``, ``materials`` (summary + the newest assigned), ``feedback``."""
    return dashboard(request, "student")


@teacher.get(
    permission=VIEW_TEACHER_DASHBOARD,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(DashboardSchema, "The teacher's dashboard"),
)
def teacher_dashboard(request: Request) -> Response:
    """Sections ``subjects`` (with their active students) and ``pending_submissions``."""
    return dashboard(request, "teacher")


@tutor.get(
    permission=VIEW_TUTOR_DASHBOARD,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(DashboardSchema, "The tutor's dashboard"),
)
def tutor_dashboard(request: Request) -> Response:
    """Section ``students``: each with profile stats, subjects and progress totals."""
    return dashboard(request, "tutor")


@parent.get(
    permission=VIEW_PARENT_DASHBOARD,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(DashboardSchema, "The parent's dashboard"),
)
def parent_dashboard(request: Request) -> Response:
    """Section ``children``: each with stats, subjects, progress, tutor and teachers."""
    return dashboard(request, "parent")
