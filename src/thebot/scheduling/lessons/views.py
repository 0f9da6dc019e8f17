"""Lessons API (API.md, "Scheduling"): list and book, read and edit, the state-machine
actions, history, and ``check-conflicts/``.

Each view parses (schema), is authorized by its resource's ACL (``resources``) and calls
the service (``service``, ``changes``, ``states``), which records ``LessonChanged``: its
subscribers tell people and refresh dashboards.
Single-lesson answers carry an ``ETag``; unsafe requests honour ``If-Match`` (412).
"""

from __future__ import annotations

from typing import Any

from thebot.accounts.models import User
from thebot.accounts.users.resources import viewer_of
from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.db import utcnow
from thebot.errors import APIProblem
from thebot.idempotency import idempotent
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    BOOK_LESSONS,
    CANCEL_LESSON,
    COMPLETE_LESSON,
    CONFIRM_LESSON,
    EDIT_LESSON,
    VIEW_LESSON,
    VIEW_LESSON_HISTORY,
    VIEW_LESSONS,
)
from thebot.responses import check_if_match, created, with_etag
from thebot.scheduling.conflicts import conflict_payload
from thebot.scheduling.exdates import record_exception
from thebot.scheduling.lessons import changes as lesson_changes
from thebot.scheduling.lessons import service, states
from thebot.scheduling.lessons.bodies import history_json, lessons_json, one_lesson_json
from thebot.scheduling.lessons.resources import LessonResource, LessonsRoot
from thebot.scheduling.lessons.schemas import (
    ActionRequest,
    CancelRequest,
    ConflictsSchema,
    CreateLessonRequest,
    HistoryPage,
    HistoryRequest,
    LessonPage,
    LessonSchema,
    LessonsListRequest,
    RescheduleRequest,
    UpdateLessonRequest,
)
from thebot.scheduling.models import Lesson, LessonHistory
from thebot.schemas import NoQueryRequest, responds

TAGS = ["scheduling"]
ITEM = "/api/scheduling/lessons/{lesson_id}/"

lessons = ApiService(
    name="scheduling_lessons",
    path="/api/scheduling/lessons/",
    description="Lessons the caller may see; teachers, tutors and admins book them",
    factory=LessonsRoot,
)
lesson = ApiService(
    name="scheduling_lesson",
    path=ITEM,
    description="One lesson; PATCH edits description, notes and meeting link",
    factory=LessonResource,
)
history = ApiService(
    name="scheduling_lesson_history",
    path=ITEM + "history/",
    description="Every change of a lesson, oldest first",
    factory=LessonResource,
)
check_conflicts_service = ApiService(
    name="scheduling_check_conflicts",
    path="/api/scheduling/check-conflicts/",
    description="The lessons a booking would overlap, without booking",
    factory=LessonsRoot,
)


def action_service(name: str, description: str) -> ApiService:
    return ApiService(
        name=f"scheduling_lesson_{name}",
        path=f"{ITEM}{name}/",
        description=description,
        factory=LessonResource,
    )


confirm_service = action_service("confirm", "pending -> confirmed")
cancel_service = action_service("cancel", "pending or confirmed -> cancelled")
complete_service = action_service("complete", "confirmed -> completed, once started")
reschedule_service = action_service("reschedule", "Move the lesson to new times")


# --- helpers -----------------------------------------------------------------------------


def caller(request: Request) -> User:
    user = viewer_of(request)
    if user is None:  # the permissions admit user accounts only; defence in depth
        raise APIProblem(403, "Lessons belong to user accounts.")
    return user


def lesson_input(body: dict[str, Any], actor: User) -> service.LessonInput:
    return service.LessonInput(
        teacher_id=body.get("teacher_id", actor.id),
        student_id=body["student_id"],
        subject_id=body["subject_id"],
        start=body["start"],
        end=body["end"],
        timezone=body["timezone"],
        description=body["description"],
        notes=body["notes"],
        meeting_link=body["meeting_link"] or None,
        override_enrollment=body["override_enrollment"],
    )


def render(request: Request, target: Lesson) -> dict[str, Any]:
    return with_etag(request, one_lesson_json(request.dbsession, caller(request), target))


def current(request: Request) -> Lesson:
    """The context's lesson, after ``If-Match`` (412 when the caller's copy is stale)."""
    target = request.context.lesson
    if "If-Match" in request.headers:
        check_if_match(request, one_lesson_json(request.dbsession, caller(request), target))
    return target


# --- collection --------------------------------------------------------------------------


@lessons.get(
    permission=VIEW_LESSONS,
    schema=LessonsListRequest(),
    tags=TAGS,
    response_schemas=responds(LessonPage, "A page of lessons, by start"),
)
def list_lessons(request: Request) -> dict[str, Any]:
    """Filters ``from``/``to`` (lessons overlapping that window), ``student``, ``teacher``,
    ``subject``, ``status``; ordered by start."""
    viewer = caller(request)
    query = request.validated["querystring"]
    stmt = service.lessons_query(
        viewer,
        start_from=query.get("from"),
        until=query.get("to"),
        student_id=query.get("student"),
        teacher_id=query.get("teacher"),
        subject_id=query.get("subject"),
        status=query.get("status"),
    )
    rows, next_cursor = paginate_request(
        request, stmt, [(Lesson.start_at, "asc"), (Lesson.id, "asc")]
    )
    return page_body(lessons_json(request.dbsession, viewer, rows), next_cursor)


@lessons.post(
    permission=BOOK_LESSONS,
    schema=CreateLessonRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The booked lesson (pending)", 201),
)
@idempotent("scheduling.lessons")
def create_lesson(request: Request) -> dict[str, Any]:
    """Book a lesson: 409 listing the overlapping lessons; honours ``Idempotency-Key``."""
    actor = caller(request)
    data = lesson_input(request.validated["body"], actor)
    booked = service.book(request.dbsession, request.registry.settings, actor, data, utcnow())
    if booked.enrollment_override:
        audit(
            request,
            "lesson.enrollment_override",
            target_type="lesson",
            target_id=booked.id,
            student_id=booked.student_id,
            teacher_id=booked.teacher_id,
            subject_id=booked.subject_id,
        )
    created(request, "scheduling_lesson", lesson_id=booked.id)
    return render(request, booked)


@check_conflicts_service.post(
    permission=BOOK_LESSONS,
    schema=CreateLessonRequest(),
    tags=TAGS,
    response_schemas=responds(ConflictsSchema, "The overlapping lessons (maybe none)"),
)
def check_conflicts(request: Request) -> dict[str, Any]:
    """The booking rules are checked as for a booking (400/403); nothing is written."""
    actor = caller(request)
    data = lesson_input(request.validated["body"], actor)
    found = service.check_conflicts(
        request.dbsession, request.registry.settings, actor, data, utcnow()
    )
    return {"conflicts": [conflict_payload(c) for c in found]}


# --- one lesson --------------------------------------------------------------------------


@lesson.get(
    permission=VIEW_LESSON,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The lesson"),
)
def get_lesson(request: Request) -> dict[str, Any]:
    return render(request, request.context.lesson)


@lesson.patch(
    permission=EDIT_LESSON,
    schema=UpdateLessonRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The updated lesson"),
)
def patch_lesson(request: Request) -> dict[str, Any]:
    """Description, notes, meeting link; 409 once the lesson has started or is final."""
    target = current(request)
    lesson_changes.update_lesson(
        request.dbsession,
        request.registry.settings,
        caller(request),
        target,
        request.validated["body"],
        utcnow(),
    )
    return render(request, target)


@history.get(
    permission=VIEW_LESSON_HISTORY,
    schema=HistoryRequest(),
    tags=TAGS,
    response_schemas=responds(HistoryPage, "The lesson's history, oldest first"),
)
def lesson_history(request: Request) -> dict[str, Any]:
    target = request.context.lesson
    rows, next_cursor = paginate_request(
        request, service.history_query(target), [(LessonHistory.id, "asc")]
    )
    return page_body(history_json(request.dbsession, caller(request), target, rows), next_cursor)


# --- actions -----------------------------------------------------------------------------


@confirm_service.post(
    permission=CONFIRM_LESSON,
    schema=ActionRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The confirmed lesson"),
)
def confirm_lesson(request: Request) -> dict[str, Any]:
    target = current(request)
    states.confirm(request.dbsession, caller(request), target)
    return render(request, target)


@cancel_service.post(
    permission=CANCEL_LESSON,
    schema=CancelRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The cancelled lesson"),
)
def cancel_lesson(request: Request) -> dict[str, Any]:
    """Optional ``reason``; 403 within the cancellation notice (admins excepted)."""
    actor = caller(request)
    target = current(request)
    reason = request.validated["body"].get("reason", "")
    states.cancel(request.dbsession, request.registry.settings, actor, target, utcnow(), reason)
    record_exception(request.dbsession, target)  # an occurrence leaves an EXDATE
    return render(request, target)


@complete_service.post(
    permission=COMPLETE_LESSON,
    schema=ActionRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The completed lesson"),
)
def complete_lesson(request: Request) -> dict[str, Any]:
    target = current(request)
    states.complete(request.dbsession, caller(request), target, utcnow())
    return render(request, target)


@reschedule_service.post(
    permission=EDIT_LESSON,
    schema=RescheduleRequest(),
    tags=TAGS,
    response_schemas=responds(LessonSchema, "The moved lesson"),
)
def reschedule_lesson(request: Request) -> dict[str, Any]:
    """New ``start``/``end`` (and optionally ``timezone``): the booking rules and conflicts
    (excluding the lesson itself) are checked again."""
    actor = caller(request)
    target = current(request)
    body = request.validated["body"]
    lesson_changes.reschedule(
        request.dbsession,
        request.registry.settings,
        actor,
        target,
        start=body["start"],
        end=body["end"],
        timezone=body.get("timezone"),
        now=utcnow(),
    )
    return render(request, target)
