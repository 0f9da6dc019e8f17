"""Progress-report API: ``/api/reports/`` and each report's actions.

Each view parses (schema), is authorized by the report's ACL (``report_resources``), calls
``reports`` (the rules, the state machine and who sees what) and renders. Extensions beyond
``API.md``: ``archive/`` and ``refresh-figures/``.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound

from thebot.accounts.users.resources import current_user
from thebot.api import ApiService, Request
from thebot.assignments.models import StudentReport
from thebot.assignments.reports import service as reports
from thebot.assignments.reports.resources import ReportResource, ReportsRoot
from thebot.assignments.reports.schemas import (
    CreateReportRequest,
    ReportPage,
    ReportSchema,
    ReportsListRequest,
    UpdateReportRequest,
)
from thebot.audit import audit
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    ACKNOWLEDGE_REPORT,
    ARCHIVE_REPORT,
    CREATE_REPORT,
    EDIT_REPORT,
    LIST_REPORTS,
    SEND_REPORT,
    VIEW_REPORT,
)
from thebot.responses import check_if_match, created, with_etag
from thebot.schemas import EmptyRequest, responds

TAGS = ["reports"]
ONE = "reports_report"

collection = ApiService(
    name="reports",
    path="/api/reports/",
    description="Progress reports about students",
    factory=ReportsRoot,
)
one = ApiService(
    name=ONE,
    path="/api/reports/{report_id}/",
    description="One progress report; editable while a draft",
    factory=ReportResource,
)
send = ApiService(
    name="reports_send",
    path="/api/reports/{report_id}/send/",
    description="Send a draft (notifies the parents when show_to_parent)",
    factory=ReportResource,
)
acknowledge = ApiService(
    name="reports_acknowledge",
    path="/api/reports/{report_id}/acknowledge/",
    description="A parent acknowledges a sent report (it becomes read)",
    factory=ReportResource,
)
archive = ApiService(
    name="reports_archive",
    path="/api/reports/{report_id}/archive/",
    description="Archive a report (author or admin)",
    factory=ReportResource,
)
refresh = ApiService(
    name="reports_refresh_figures",
    path="/api/reports/{report_id}/refresh-figures/",
    description="Recompute a draft's figures from the current data",
    factory=ReportResource,
)


def current(request: Request) -> StudentReport:
    report = request.context.report
    if report is None:  # the factory answers 404 first; this only guards misuse
        raise HTTPNotFound()
    return report


def respond(request: Request, report: StudentReport) -> dict[str, Any]:
    return with_etag(request, reports.one_report_data(request.dbsession, report))


def guard(request: Request) -> StudentReport:
    """The report, after ``If-Match`` (412 when the caller's copy is stale)."""
    report = current(request)
    check_if_match(request, reports.one_report_data(request.dbsession, report))
    return report


@collection.get(
    permission=LIST_REPORTS,
    schema=ReportsListRequest(),
    tags=TAGS,
    response_schemas=responds(ReportPage, "The reports the caller may see, newest first"),
)
def list_reports(request: Request) -> dict[str, Any]:
    """Filters ``student`` (user id), ``status``, ``type``."""
    query = request.validated["querystring"]
    stmt = reports.reports_query(
        current_user(request),
        student_id=query.get("student"),
        status=query.get("status"),
        report_type=query.get("type"),
    )
    rows, next_cursor = paginate_request(request, stmt, [(StudentReport.id, "desc")])
    users = reports.people_of(request.dbsession, rows)
    return page_body([reports.report_data(r, users) for r in rows], next_cursor)


@collection.post(
    permission=CREATE_REPORT,
    schema=CreateReportRequest(),
    tags=TAGS,
    response_schemas=responds(ReportSchema, "The new draft with its computed figures", 201),
)
def create_report(request: Request) -> dict[str, Any]:
    """A draft about a student the caller teaches (any student, for admins)."""
    body = dict(request.validated["body"])
    report = reports.create_report(
        request.dbsession,
        current_user(request),
        student_id=body["student_id"],
        report_type=body["type"],
        period_start=body["period_start"],
        period_end=body["period_end"],
        summary=body["summary"],
        show_to_parent=body["show_to_parent"],
    )
    created(request, ONE, report_id=report.id)
    return respond(request, report)


@one.get(
    permission=VIEW_REPORT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(ReportSchema, "The report"),
)
def get_report(request: Request) -> dict[str, Any]:
    return respond(request, current(request))


@one.patch(
    permission=EDIT_REPORT,
    schema=UpdateReportRequest(),
    tags=TAGS,
    response_schemas=responds(ReportSchema, "The updated draft"),
)
def patch_report(request: Request) -> dict[str, Any]:
    """type, period, summary, show_to_parent of a draft; a new period recomputes figures."""
    report = guard(request)
    reports.update_report(request.dbsession, report, dict(request.validated["body"]))
    return respond(request, report)


@send.post(
    permission=SEND_REPORT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(ReportSchema, "The sent report"),
)
def send_report(request: Request) -> dict[str, Any]:
    """``draft -> sent``; the student's parents are told when ``show_to_parent``."""
    report = guard(request)
    parents = reports.send_report(request.dbsession, report)
    audit(
        request,
        "report.sent",
        target_type="student_report",
        target_id=report.id,
        student_id=report.student_id,
        parents_notified=[p.id for p in parents],
    )
    return respond(request, report)


@acknowledge.post(
    permission=ACKNOWLEDGE_REPORT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(ReportSchema, "The report, now read"),
)
def acknowledge_report(request: Request) -> dict[str, Any]:
    """``sent -> read``, recording when and which parent; the author is told."""
    report = guard(request)
    parent = current_user(request)
    reports.acknowledge_report(request.dbsession, report, parent)
    return respond(request, report)


@archive.post(
    permission=ARCHIVE_REPORT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(ReportSchema, "The archived report"),
)
def archive_report(request: Request) -> dict[str, Any]:
    """Any state but ``archived`` -> ``archived`` (extension)."""
    report = guard(request)
    reports.archive_report(request.dbsession, report)
    return respond(request, report)


@refresh.post(
    permission=EDIT_REPORT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(ReportSchema, "The draft with fresh figures"),
)
def refresh_report_figures(request: Request) -> dict[str, Any]:
    """Recompute a draft's figures (extension); 409 once the report was sent."""
    report = guard(request)
    reports.refresh_figures(request.dbsession, report)
    return respond(request, report)
