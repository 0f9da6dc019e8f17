"""Submissions API: students answer homework (text and/or files), reviewers give feedback.

Rules: ``thebot.materials.submissions.service``; who sees which submission:
``thebot.materials.visibility.visible_submissions_clause``; files:
``thebot.media.service``.
"""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.materials.materials.resources import (
    MATERIAL_ID_PATH,
    MATERIAL_PATH,
    MaterialResource,
)
from thebot.materials.submissions import service
from thebot.materials.submissions.resources import SubmissionResource
from thebot.materials.submissions.schemas import (
    FeedbackRequest,
    SubmissionPage,
    SubmissionRequest,
    SubmissionSchema,
    SubmissionsListRequest,
)
from thebot.media.models import MediaKind
from thebot.media.service import OWNER_SUBMISSION, discard_media, store_upload
from thebot.pagination import page_body, paginate_request
from thebot.permissions import REVIEW_SUBMISSION, SUBMIT_MATERIAL, VIEW_SUBMISSIONS
from thebot.responses import created, with_etag
from thebot.schemas import NoQueryRequest, responds

TAGS = ["materials"]

material_submissions = ApiService(
    name="materials_submissions",
    path=MATERIAL_PATH + "submissions/",
    path_info=MATERIAL_ID_PATH,
    description="Answers to a homework material",
    factory=MaterialResource,
)
submission = ApiService(
    name="materials_submission",
    path="/api/materials/submissions/{submission_id}/",
    description="One submission with its files and feedback",
    factory=SubmissionResource,
)
feedback = ApiService(
    name="materials_submission_feedback",
    path="/api/materials/submissions/{submission_id}/feedback/",
    description="Review a submission: grade 1-5 and text",
    factory=SubmissionResource,
)


@material_submissions.get(
    permission=VIEW_SUBMISSIONS,
    schema=SubmissionsListRequest(),
    tags=TAGS,
    response_schemas=responds(SubmissionPage, "A page of submissions the caller may see"),
)
def list_submissions(request: Request) -> dict[str, Any]:
    """Reviewers (admins, the author, the subject's teachers and tutors) see all; students
    their own; parents their children's; teachers and tutors their students'. Newest first;
    filters ``status`` and ``student``."""
    query = request.validated["querystring"]
    context = request.context
    stmt = service.submissions_query(
        context.viewer,
        context.material,
        status=query.get("status"),
        student_id=query.get("student"),
    )
    rows, next_cursor = paginate_request(request, stmt, service.LIST_ORDER)
    return page_body(service.submissions_data(request.dbsession, rows), next_cursor)


@material_submissions.post(
    permission=SUBMIT_MATERIAL,
    schema=SubmissionRequest(),
    tags=TAGS,
    response_schemas={
        **responds(SubmissionSchema, "The new submission", 201),
        **responds(SubmissionSchema, "A returned submission, submitted again"),
    },
)
def submit(request: Request) -> dict[str, Any]:
    """Answer a homework: JSON ``{"text"}``, or multipart/form-data with ``text`` and one or
    more ``files``. One submission per student (409), unless it was returned: then this
    replaces its text and files and it waits for review again."""
    context = request.context
    body = request.validated["body"]
    uploads = list(body.get("files") or ())
    dbsession = request.dbsession
    answer, is_new, replaced = service.submit(
        dbsession, context.viewer, context.material, body["text"], file_count=len(uploads)
    )
    for upload in uploads:
        media = store_upload(
            request,
            upload,
            kind=MediaKind.SUBMISSION.value,
            owner_type=OWNER_SUBMISSION,
            owner_id=answer.id,
        )
        service.attach_file(dbsession, answer, media)
    for media in replaced:
        discard_media(request, media)
    if is_new:
        created(request, "materials_submission", submission_id=answer.id)
    return service.submission_data(dbsession, answer)


@submission.get(
    permission=VIEW_SUBMISSIONS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(SubmissionSchema, "The submission"),
)
def get_submission(request: Request) -> dict[str, Any]:
    return with_etag(
        request, service.submission_data(request.dbsession, request.context.submission)
    )


@feedback.post(
    permission=REVIEW_SUBMISSION,
    schema=FeedbackRequest(),
    tags=TAGS,
    response_schemas=responds(SubmissionSchema, "The reviewed submission", 201),
)
def give_feedback(request: Request) -> dict[str, Any]:
    """Grade (1-5) and comment a submission waiting for review (admins, the material's
    author, its subject's teachers and tutors). ``status: returned`` lets the student submit
    again. The student is notified."""
    context = request.context
    body = request.validated["body"]
    target, material = context.submission, context.material
    dbsession = request.dbsession
    review = service.give_feedback(
        dbsession,
        context.viewer,
        target,
        grade=body["grade"],
        text=body["text"],
        status=body["status"],
    )
    audit(
        request,
        "submission.reviewed",
        target_type="material_submission",
        target_id=target.id,
        material_id=material.id,
        student_id=target.student_id,
        grade=review.grade,
        status=review.status,
    )
    created(request, "materials_submission", submission_id=target.id)
    return service.submission_data(dbsession, target)
