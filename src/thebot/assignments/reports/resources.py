"""Route factories of the progress-report API: ``__acl__`` from the caller's relation to a
report (the rules themselves: ``thebot.assignments.reports.service``).

A report the caller may not see is a 404 from the factory (existence is never revealed);
anonymous callers are not looked up at all and get the 401 of the forbidden view. Whether
an action fits the report's state (a sent report cannot be edited) is the service's 409;
the ACL only says who may try.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound

from thebot.accounts.models import Role
from thebot.accounts.users.resources import viewer_of
from thebot.api import parse_id
from thebot.assignments.models import StudentReport
from thebot.assignments.reports import service as reports
from thebot.permissions import (
    ACKNOWLEDGE_REPORT,
    ARCHIVE_REPORT,
    CREATE_REPORT,
    EDIT_REPORT,
    LIST_REPORTS,
    SEND_REPORT,
    VIEW_REPORT,
)

DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)
MANAGE = (VIEW_REPORT, EDIT_REPORT, SEND_REPORT, ARCHIVE_REPORT)
# What each relation of the caller to a report grants.
GRANTS: dict[str, tuple[str, ...]] = {
    reports.AS_ADMIN: MANAGE,
    reports.AS_AUTHOR: MANAGE,
    reports.AS_STAFF: (VIEW_REPORT,),
    reports.AS_STUDENT: (VIEW_REPORT,),
    reports.AS_PARENT: (VIEW_REPORT, ACKNOWLEDGE_REPORT),
}


class ReportsRoot:
    """``/api/reports/``: everyone lists what they may see; teachers, tutors, admins write."""

    __acl__ = [
        (Allow, f"role:{Role.ADMIN.value}", CREATE_REPORT),
        (Allow, f"role:{Role.TEACHER.value}", CREATE_REPORT),
        (Allow, f"role:{Role.TUTOR.value}", CREATE_REPORT),
        (Allow, Authenticated, LIST_REPORTS),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request


class ReportResource:
    """One report, seen by the caller."""

    def __init__(self, request: Any):
        self.request = request
        self.report: StudentReport | None = None
        self.relation: str | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return  # anonymous or the monitoring token: no lookup, the view answers 401/403
        report_id = parse_id(request.matchdict.get("report_id"))
        report = request.dbsession.get(StudentReport, report_id) if report_id else None
        relation = reports.report_relation(request.dbsession, viewer, report) if report else None
        if report is None or relation is None:
            raise HTTPNotFound()
        self.report = report
        self.relation = relation
        self.__acl__ = [(Allow, f"user:{viewer.id}", GRANTS[relation]), DENY_REST]
