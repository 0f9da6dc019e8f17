"""Recurring series API (API.md, "Scheduling"): ``GET, POST /api/scheduling/series/`` and
``GET, PATCH, DELETE /api/scheduling/series/{id}/``.

Views parse (schema), are authorized by the resources below and call the service
(``service``, ``scopes``), which records ``SeriesChanged``: its subscribers tell people and
refresh dashboards. A series answer carries an ``ETag``; PATCH and DELETE honour ``If-Match``.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from thebot.accounts.models import Role, User
from thebot.accounts.users.resources import viewer_of
from thebot.api import ApiService, Request, parse_id
from thebot.audit import audit
from thebot.db import utcnow
from thebot.errors import APIProblem
from thebot.idempotency import idempotent
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    CANCEL_SERIES,
    CREATE_SERIES,
    EDIT_SERIES,
    VIEW_SERIES,
    VIEW_SERIES_LIST,
)
from thebot.responses import check_if_match, created, with_etag
from thebot.scheduling.lessons import visibility as seen
from thebot.scheduling.lessons.bodies import lessons_json
from thebot.scheduling.lessons.service import MANAGERS
from thebot.scheduling.models import LessonSeries
from thebot.scheduling.series import scopes, service
from thebot.scheduling.series.occurrences import SeriesInput, series_lessons
from thebot.scheduling.series.schemas import (
    CancelSeriesRequest,
    ChangedSeries,
    CreatedSeries,
    CreateSeriesRequest,
    SeriesDetail,
    SeriesListRequest,
    SeriesPage,
    UpdateSeriesRequest,
)
from thebot.schemas import NoQueryRequest, responds

TAGS = ["scheduling"]
DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)


class SeriesRoot:
    """The collection: everyone lists what they see; teachers, tutors and admins create
    (for which pairs exactly: ``rules.validate_slot``)."""

    __acl__ = [
        (Allow, Authenticated, VIEW_SERIES_LIST),
        (Allow, f"role:{Role.ADMIN.value}", CREATE_SERIES),
        (Allow, f"role:{Role.TEACHER.value}", CREATE_SERIES),
        (Allow, f"role:{Role.TUTOR.value}", CREATE_SERIES),
        DENY_REST,
    ]

    def __init__(self, request: Request):
        self.request = request


class SeriesResource:
    """One series: a 404 unless the caller sees its lessons; those who manage its lessons
    (teacher, the student's tutor, admins) edit and cancel it."""

    def __init__(self, request: Request):
        self.request = request
        self.series: LessonSeries | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return  # anonymous: no lookup (no existence oracle); the forbidden view: 401
        series_id = parse_id(request.matchdict.get("series_id"))
        series = request.dbsession.get(LessonSeries, series_id) if series_id else None
        # A series relates people exactly as its lessons do (same teacher and student).
        relations = seen.relations(request.dbsession, viewer, series) if series else frozenset()
        if series is None or not relations:
            raise HTTPNotFound()
        self.series = series
        granted = [VIEW_SERIES]
        if relations & MANAGERS:
            granted += [EDIT_SERIES, CANCEL_SERIES]
        self.__acl__ = [(Allow, f"user:{viewer.id}", tuple(granted)), DENY_REST]


collection = ApiService(
    name="scheduling_series",
    path="/api/scheduling/series/",
    description="Recurring lessons the caller may see; teachers, tutors and admins create them",
    factory=SeriesRoot,
)
item = ApiService(
    name="scheduling_series_item",
    path="/api/scheduling/series/{series_id}/",
    description="One series; PATCH and DELETE take a scope: this, following or all",
    factory=SeriesResource,
)


def caller(request: Request) -> User:
    user = viewer_of(request)
    if user is None:  # the permissions admit user accounts only; defence in depth
        raise APIProblem(403, "Series belong to user accounts.")
    return user


def detail(request: Request, series: LessonSeries) -> dict[str, Any]:
    rows = series_lessons(request.dbsession, series)
    return service.series_json(series, lessons_json(request.dbsession, caller(request), rows))


def current(request: Request) -> LessonSeries:
    """The context's series, after ``If-Match`` (412 when the caller's copy is stale)."""
    series = request.context.series
    check_if_match(request, detail(request, series))
    return series


@collection.get(
    permission=VIEW_SERIES_LIST,
    schema=SeriesListRequest(),
    tags=TAGS,
    response_schemas=responds(SeriesPage, "A page of series, oldest first"),
)
def list_series(request: Request) -> dict[str, Any]:
    """Filters ``teacher``, ``student``, ``subject``, ``active``."""
    query = request.validated["querystring"]
    stmt = select(LessonSeries).where(service.visible_series_clause(caller(request)))
    for name, column in (
        ("teacher", LessonSeries.teacher_id),
        ("student", LessonSeries.student_id),
        ("subject", LessonSeries.subject_id),
        ("active", LessonSeries.is_active),
    ):
        if name in query:
            stmt = stmt.where(column == query[name])
    rows, next_cursor = paginate_request(request, stmt, [(LessonSeries.id, "asc")])
    return page_body([service.series_json(s) for s in rows], next_cursor)


@collection.post(
    permission=CREATE_SERIES,
    schema=CreateSeriesRequest(),
    tags=TAGS,
    response_schemas=responds(CreatedSeries, "The series and its booked lessons", 201),
)
@idempotent("scheduling.series")
def create_series(request: Request) -> dict[str, Any]:
    """Occurrences that overlap other lessons are listed in ``skipped`` and not booked;
    ``?atomic=true`` refuses the whole series instead (409 listing the conflicts)."""
    actor = caller(request)
    body = request.validated["body"]
    data = SeriesInput(
        teacher_id=body.get("teacher_id", actor.id),
        student_id=body["student_id"],
        subject_id=body["subject_id"],
        start=body["start"],
        timezone=body["timezone"],
        duration_minutes=body["duration_minutes"],
        rrule=body["rrule"],
        description=body["description"],
        meeting_link=body["meeting_link"] or None,
        override_enrollment=body["override_enrollment"],
    )
    result = service.create_series(
        request.dbsession,
        request.registry.settings,
        actor,
        data,
        utcnow(),
        atomic=request.validated["querystring"]["atomic"],
    )
    series = result.series
    if any(x.enrollment_override for x in result.lessons):
        audit(
            request,
            "series.enrollment_override",
            target_type="lesson_series",
            target_id=series.id,
            student_id=series.student_id,
            teacher_id=series.teacher_id,
            subject_id=series.subject_id,
        )
    created(request, "scheduling_series_item", series_id=series.id)
    answer = with_etag(request, detail(request, series))
    return {**answer, "skipped": [occ.payload(found) for occ, found in result.skipped]}


@item.get(
    permission=VIEW_SERIES,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(SeriesDetail, "The series and its lessons"),
)
def get_series(request: Request) -> dict[str, Any]:
    return with_etag(request, detail(request, request.context.series))


def outcome(request: Request, result: scopes.ScopeResult) -> dict[str, Any]:
    if result.series is not request.context.series:  # "following" split the series
        request.response.headers["Content-Location"] = request.route_url(
            "scheduling_series_item", series_id=result.series.id
        )
    return {
        **detail(request, result.series),
        "changed_lessons": [x.id for x in result.changed],
        "created_lessons": [x.id for x in result.created],
        "cancelled_lessons": [x.id for x in result.cancelled],
        "kept_lessons": [x.id for x in result.kept],
    }


@item.patch(
    permission=EDIT_SERIES,
    schema=UpdateSeriesRequest(),
    tags=TAGS,
    response_schemas=responds(ChangedSeries, "The series now holding the changed lessons"),
)
def patch_series(request: Request) -> dict[str, Any]:
    """``scope`` this (``lesson_id``; ``start``, ``duration_minutes``, ``description``,
    ``meeting_link``), following (``lesson_id``) or all (``start_time``, ``duration_minutes``,
    ``rrule``, ``description``, ``meeting_link``). All or nothing: 409 lists conflicts."""
    actor = caller(request)
    body = dict(request.validated["body"])
    scope, lesson_id = body.pop("scope"), body.pop("lesson_id", None)
    result = scopes.edit_series(
        request.dbsession,
        request.registry.settings,
        actor,
        current(request),
        scope,
        body,
        utcnow(),
        lesson_id=lesson_id,
    )
    return outcome(request, result)


@item.delete(
    permission=CANCEL_SERIES,
    schema=CancelSeriesRequest(),
    tags=TAGS,
    response_schemas=responds(ChangedSeries, "The series after the cancellation"),
)
def delete_series(request: Request) -> dict[str, Any]:
    """``?scope=all`` (default) cancels every future lesson and ends the series;
    ``following`` and ``this`` need ``lesson_id``; a cancelled occurrence leaves an EXDATE.
    Lessons within the cancellation notice are kept (``kept_lessons``) unless an admin asks.
    """
    actor = caller(request)
    query = request.validated["querystring"]
    result = scopes.cancel_series(
        request.dbsession,
        request.registry.settings,
        actor,
        current(request),
        query["scope"],
        utcnow(),
        lesson_id=query.get("lesson_id"),
        reason=query["reason"],
    )
    return outcome(request, result)
