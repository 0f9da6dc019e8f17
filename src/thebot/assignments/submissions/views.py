"""Submissions, grades, returns and extensions of the assignments API; the start of a timed
attempt (``attempts``) and an assignment's statistics (``stats``).

Students submit (JSON ``{"text"}`` or multipart ``text`` + ``files``); graders (admins, the
author, the subject's teachers) list with status filters, grade, return and extend
deadlines; students, parents and tutors read what concerns their students. Rules live in
``service`` and ``grading``; who is who in ``assignments.resources``.
"""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.accounts.models import User
from thebot.api import ApiService, Request, json_cstruct
from thebot.assignments.assignments.resources import (
    AssignmentResource,
    ExtensionResource,
    SubmissionResource,
)
from thebot.assignments.assignments.schemas import ExtensionSchema, StatsSchema
from thebot.assignments.assignments.service import extension_data
from thebot.assignments.late_policy import score_text
from thebot.assignments.models import AssignmentExtension, AssignmentSubmission
from thebot.assignments.submissions import attempts as timed_attempts
from thebot.assignments.submissions import grading, stats
from thebot.assignments.submissions import service as submissions
from thebot.assignments.submissions.schemas import (
    AttemptStartSchema,
    ExtensionPage,
    ExtensionRequest,
    ExtensionsListRequest,
    GradeRequest,
    ReturnRequest,
    SubmissionPage,
    SubmissionSchema,
    SubmissionsListRequest,
    SubmitRequest,
)
from thebot.audit import audit
from thebot.db import utcnow
from thebot.media.service import store_upload
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    GRADE_SUBMISSION,
    LIST_ASSIGNMENT_SUBMISSIONS,
    MANAGE_EXTENSIONS,
    SUBMIT_ASSIGNMENT,
    VIEW_ASSIGNMENT_STATS,
    VIEW_ASSIGNMENT_SUBMISSION,
    VIEW_EXTENSIONS,
)
from thebot.responses import created, no_content, with_etag
from thebot.schemas import EmptyRequest, NoContent, NoQueryRequest, responds

TAGS = ["assignments"]

submissions_service = ApiService(
    name="assignment_submissions",
    path="/api/assignments/{assignment_id}/submissions/",
    description="Submissions (every attempt); an assigned student POSTs a new attempt",
    factory=AssignmentResource,
)
submission_service = ApiService(
    name="assignment_submission",
    path="/api/assignments/submissions/{submission_id}/",
    description="One submission with its files and grade",
    factory=SubmissionResource,
)
grade_service = ApiService(
    name="assignment_submission_grade",
    path="/api/assignments/submissions/{submission_id}/grade/",
    description="Grade a submission (score or rubric points); the late penalty is applied",
    factory=SubmissionResource,
)
return_service = ApiService(
    name="assignment_submission_return",
    path="/api/assignments/submissions/{submission_id}/return/",
    description="Return a submission so the student may submit again",
    factory=SubmissionResource,
)
extensions_service = ApiService(
    name="assignment_extensions",
    path="/api/assignments/{assignment_id}/extensions/",
    description="Per-student deadline extensions; POST grants or changes one",
    factory=AssignmentResource,
)
extension_service = ApiService(
    name="assignment_extension",
    path="/api/assignments/{assignment_id}/extensions/{student_id}/",
    description="One student's extension; DELETE revokes it",
    factory=ExtensionResource,
)


def viewer(request: Request) -> User:
    return request.identity.user


def form_or_json(request: Request) -> dict[str, Any]:
    """The body of a submission: JSON, or multipart (a body the parser rejects is a 400)."""
    try:
        return json_cstruct(request)
    except Exception:  # the multipart parser's errors are not one type (ValueError, KeyError)
        request.errors.add("body", "", "Malformed multipart body")
        return {}


def render(request: Request, submission: AssignmentSubmission) -> dict[str, Any]:
    return submissions.submissions_data(request.dbsession, [submission])[0]


# --- submissions ----------------------------------------------------------------------------


@submissions_service.get(
    permission=LIST_ASSIGNMENT_SUBMISSIONS,
    schema=SubmissionsListRequest(),
    tags=TAGS,
    response_schemas=responds(SubmissionPage, "A page of submissions, newest first"),
)
def list_submissions(request: Request) -> dict[str, Any]:
    """Graders see all; students their own; parents and tutors their students'. Filters:
    ``status`` (submitted, late, graded, returned), ``student``, ``counts``."""
    query = request.validated["querystring"]
    context = request.context
    stmt = submissions.submissions_query(
        context.assignment,
        context.scope,
        status=query.get("status"),
        student_id=query.get("student"),
        counts=query.get("counts"),
    )
    rows, next_cursor = paginate_request(request, stmt, [(AssignmentSubmission.id, "desc")])
    return page_body(submissions.submissions_data(request.dbsession, rows), next_cursor)


@submissions_service.post(
    permission=SUBMIT_ASSIGNMENT,
    schema=SubmitRequest(),
    deserializer=form_or_json,
    tags=TAGS,
    response_schemas=responds(SubmissionSchema, "The new attempt", 201),
)
def submit(request: Request) -> dict[str, Any]:
    """A new attempt: 409 before the start, after the (late) deadline, once closed, when the
    attempts are used up or the counted attempt is graded (and not returned)."""
    body = request.validated["body"]
    uploads = list(body.get("files") or ())
    assignment = request.context.assignment
    submission = submissions.submit(
        request.dbsession,
        assignment,
        viewer(request),
        text=body.get("text", ""),
        file_count=len(uploads),
        now=utcnow(),
    )
    stored = [
        store_upload(
            request,
            upload,
            kind=submissions.MEDIA_KIND,
            owner_type=submissions.OWNER_TYPE,
            owner_id=submission.id,
        )
        for upload in uploads
    ]
    submissions.attach_files(request.dbsession, submission, stored)
    created(request, "assignment_submission", submission_id=submission.id)
    return render(request, submission)


@submission_service.get(
    permission=VIEW_ASSIGNMENT_SUBMISSION,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(SubmissionSchema, "The submission"),
)
def get_submission(request: Request) -> dict[str, Any]:
    return with_etag(request, render(request, request.context.submission))


@grade_service.post(
    permission=GRADE_SUBMISSION,
    schema=GradeRequest(),
    tags=TAGS,
    response_schemas=responds(SubmissionSchema, "The graded submission"),
)
def grade(request: Request) -> dict[str, Any]:
    """``{"score"}`` or ``{"rubric_scores": {criterion_id: points}}``, and ``feedback``.
    The student and their parents are notified once the grade commits (the service records
    it)."""
    body = request.validated["body"]
    context = request.context
    assignment, submission = context.assignment, context.submission
    result = grading.grade_submission(
        request.dbsession,
        assignment,
        submission,
        viewer(request),
        score=body.get("score"),
        rubric_scores=body.get("rubric_scores"),
        feedback=body.get("feedback", ""),
        now=utcnow(),
    )
    audit(
        request,
        "submission.graded",
        target_type="assignment_submission",
        target_id=submission.id,
        raw_score=score_text(result.raw_score),
        penalty=score_text(result.penalty),
        final_score=score_text(result.final_score),
    )
    return render(request, submission)


@return_service.post(
    permission=GRADE_SUBMISSION,
    schema=ReturnRequest(),
    tags=TAGS,
    response_schemas=responds(SubmissionSchema, "The returned submission"),
)
def return_submission(request: Request) -> dict[str, Any]:
    """Hand the counted version back (optional ``reason``, sent to the student); they may
    submit again within the attempts limit."""
    body = request.validated.get("body") or {}
    context = request.context
    assignment, submission = context.assignment, context.submission
    reason = body.get("reason", "")
    submissions.return_submission(request.dbsession, assignment, submission, reason)
    audit(
        request,
        "submission.returned",
        target_type="assignment_submission",
        target_id=submission.id,
        reason=reason,
    )
    return render(request, submission)


# --- extensions -----------------------------------------------------------------------------


@extensions_service.get(
    permission=VIEW_EXTENSIONS,
    schema=ExtensionsListRequest(),
    tags=TAGS,
    response_schemas=responds(ExtensionPage, "Extensions the caller may see"),
)
def list_extensions(request: Request) -> dict[str, Any]:
    query = request.validated["querystring"]
    context = request.context
    stmt = submissions.extensions_query(
        context.assignment, context.scope, student_id=query.get("student")
    )
    rows, next_cursor = paginate_request(request, stmt, [(AssignmentExtension.id, "asc")])
    return page_body([extension_data(e) for e in rows], next_cursor)


@extensions_service.post(
    permission=MANAGE_EXTENSIONS,
    schema=ExtensionRequest(),
    tags=TAGS,
    response_schemas=responds(ExtensionSchema, "The extension (201 when new)"),
)
def grant_extension(request: Request) -> dict[str, Any]:
    """Grant or change a student's extension: their due date (and late deadline)."""
    body = request.validated["body"]
    assignment = request.context.assignment
    extension, is_new = submissions.grant_extension(
        request.dbsession,
        assignment,
        viewer(request),
        student_id=body["student_id"],
        due_at=body["due_at"],
        late_deadline=body.get("late_deadline"),
        reason=body.get("reason", ""),
        now=utcnow(),
    )
    audit(
        request,
        "extension.granted" if is_new else "extension.changed",
        target_type="assignment",
        target_id=assignment.id,
        student_id=extension.student_id,
        due_at=extension.due_at,
    )
    if is_new:
        created(
            request,
            "assignment_extension",
            assignment_id=assignment.id,
            student_id=extension.student_id,
        )
    return extension_data(extension)


@extension_service.delete(
    permission=MANAGE_EXTENSIONS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Revoked", 204),
)
def revoke_extension(request: Request) -> Response:
    context = request.context
    extension = context.extension
    student_id = extension.student_id
    submissions.revoke_extension(request.dbsession, context.assignment, extension)
    audit(
        request,
        "extension.revoked",
        target_type="assignment",
        target_id=context.assignment.id,
        student_id=student_id,
    )
    return no_content()


# --- timed attempts and statistics -----------------------------------------------------------

stats_service = ApiService(
    name="assignment_stats",
    path="/api/assignments/{assignment_id}/stats/",
    description="Submitted / late / graded counts, mean and median final score",
    factory=AssignmentResource,
)


start_service = ApiService(
    name="assignment_attempt_start",
    path="/api/assignments/{assignment_id}/start/",
    description="Start the next attempt of a timed assignment; returns its deadline",
    factory=AssignmentResource,
)


@start_service.post(
    permission=SUBMIT_ASSIGNMENT,
    schema=EmptyRequest(),
    tags=["assignments"],
    response_schemas={
        "201": AttemptStartSchema(description="The attempt just started"),
        "200": AttemptStartSchema(description="The attempt was already running"),
    },
)
def start_attempt(request: Request) -> dict[str, Any]:
    """201 with the attempt's deadline; starting the same attempt again returns it (200)."""
    assignment = request.context.assignment
    student = request.identity.user
    now = utcnow()
    _late, earlier = submissions.check_can_submit(request.dbsession, assignment, student, now)
    attempt = submissions.next_attempt(earlier)
    start, new = timed_attempts.start_attempt(request.dbsession, assignment, student, attempt, now)
    if new:
        request.response.status = 201
    return timed_attempts.start_data(start)


@stats_service.get(
    permission=VIEW_ASSIGNMENT_STATS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(StatsSchema, "Statistics of the assignment"),
)
def get_stats(request: Request) -> dict[str, Any]:
    return stats.assignment_stats(request.dbsession, request.context.assignment)
