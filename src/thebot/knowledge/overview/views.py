"""Class overview API: students x lessons of a template (its readers: the subject's
teachers and admins), as JSON pages or as one CSV file."""

from __future__ import annotations

from typing import Any

import colander
from pyramid.response import Response

from thebot.accounts.models import User
from thebot.api import ApiService, Request
from thebot.knowledge.overview import service
from thebot.knowledge.overview.rows import overview_rows
from thebot.knowledge.overview.schemas import OverviewCsvRequest, OverviewPage, OverviewRequest
from thebot.knowledge.resources import TemplateResource, viewer_of
from thebot.pagination import paginate_request
from thebot.permissions import KNOWLEDGE_OVERVIEW
from thebot.schemas import responds

TAGS = ["knowledge"]

overview = ApiService(
    name="knowledge_template_overview",
    path="/api/knowledge/templates/{id}/overview/",
    description="Students x lessons of the student graphs made from a template",
    factory=TemplateResource,
)
overview_csv = ApiService(
    name="knowledge_template_overview_csv",
    path="/api/knowledge/templates/{id}/overview/csv/",
    description="The overview as a CSV file (every row the caller may see)",
    factory=TemplateResource,
)


def caller(request: Request) -> User:
    viewer = viewer_of(request)
    assert viewer is not None  # the permission required a signed-in user
    return viewer


@overview.get(
    permission=KNOWLEDGE_OVERVIEW,
    schema=OverviewRequest(),
    tags=TAGS,
    response_schemas=responds(OverviewPage, "The lessons and a page of students"),
)
def get_overview(request: Request) -> dict[str, Any]:
    """Teachers see the students they teach the subject (tutors theirs), admins all;
    filter ``student``. Pages of 25 students (a class) unless ``limit`` says otherwise."""
    template = request.context.row
    query = request.validated["querystring"]
    lessons = service.columns(request.dbsession, template)
    stmt, params = service.graphs_statement(caller(request), template, query)
    graphs, next_cursor = paginate_request(request, stmt, service.ORDER, params)
    return {
        "template": service.template_json(template),
        "lessons": lessons,
        "items": service.matrix(
            request.dbsession, lessons, graphs, overview_rows(request.registry)
        ),
        "next_cursor": next_cursor,
    }


@overview_csv.get(
    permission=KNOWLEDGE_OVERVIEW,
    schema=OverviewCsvRequest(),
    tags=TAGS,
    response_schemas={
        "200": colander.SchemaNode(
            colander.String(),
            description="CSV: a row per student, state and score columns per lesson",
            content_types=("text/csv",),
        )
    },
)
def get_overview_csv(request: Request) -> Response:
    template = request.context.row
    query = request.validated.get("querystring") or {}
    lessons = service.columns(request.dbsession, template)
    stmt, params = service.graphs_statement(caller(request), template, query)
    stmt = stmt.order_by(*[column for column, _ in service.ORDER])
    rows = service.matrix(
        request.dbsession,
        lessons,
        request.dbsession.execute(stmt, params),
        overview_rows(request.registry),
    )
    response = Response(
        body=service.to_csv(lessons, rows).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
    )
    response.content_disposition = f'attachment; filename="overview-{template.id}.csv"'
    return response
