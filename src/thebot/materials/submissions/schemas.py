"""Colander schemas of the submissions API: an answer (JSON or multipart), feedback, the
list's query string, and submissions with their feedback (responses, for the OpenAPI
document)."""

from __future__ import annotations

import colander

from thebot.accounts.users.schemas import BriefUser
from thebot.materials.models import SubmissionStatus
from thebot.materials.schemas import body_integer, long_text, node, nullable
from thebot.media.schemas import MediaFileSchema
from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, StrictMapping, Uploads, choice, object_id

SUBMISSION_STATUSES = tuple(s.value for s in SubmissionStatus)
FEEDBACK_STATUSES = (SubmissionStatus.REVIEWED.value, SubmissionStatus.RETURNED.value)
MAX_SUBMISSION_TEXT = 50_000
MAX_FEEDBACK_TEXT = 10_000


class SubmissionBody(StrictMapping):
    """JSON ``{"text"}``, or multipart/form-data with ``text`` and one or more ``files``."""

    text = long_text(MAX_SUBMISSION_TEXT, missing="")
    files = colander.SchemaNode(Uploads(), missing=(), description="multipart only")


class SubmissionRequest(colander.MappingSchema):
    body = SubmissionBody()


class SubmissionsQuery(StrictMapping, PaginationQuery):
    status = choice(SUBMISSION_STATUSES, missing=DROP)
    student = object_id(missing=DROP)


class SubmissionsListRequest(colander.MappingSchema):
    querystring = SubmissionsQuery()


class FeedbackBody(StrictMapping):
    grade = body_integer(1, 5)
    text = long_text(MAX_FEEDBACK_TEXT, missing="")
    status = choice(
        FEEDBACK_STATUSES,
        missing=SubmissionStatus.REVIEWED.value,
        description="returned: the student may resubmit",
    )


class FeedbackRequest(colander.MappingSchema):
    body = FeedbackBody()


class FeedbackSchema(colander.MappingSchema):
    id = node(colander.Integer())
    grade = node(colander.Integer())
    text = node(colander.String())
    status = choice(FEEDBACK_STATUSES)
    teacher = BriefUser(missing=None)
    created_at = node(colander.DateTime())


class FeedbackList(colander.SequenceSchema):
    feedback = FeedbackSchema()


class MediaList(colander.SequenceSchema):
    file = MediaFileSchema()


class SubmissionSchema(colander.MappingSchema):
    id = node(colander.Integer())
    material_id = node(colander.Integer())
    student = BriefUser()
    text = node(colander.String())
    status = choice(SUBMISSION_STATUSES)
    submitted_at = node(colander.DateTime())
    updated_at = node(colander.DateTime())
    files = MediaList()
    feedback = FeedbackList(description="Oldest first")


class SubmissionList(colander.SequenceSchema):
    submission = SubmissionSchema()


class SubmissionPage(colander.MappingSchema):
    items = SubmissionList()
    next_cursor = nullable(colander.String())
