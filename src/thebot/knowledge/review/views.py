"""Review API: the queue of text answers waiting for the caller's grade, and grading."""

from __future__ import annotations

from typing import Any

from thebot.accounts.models import User
from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.knowledge.resources import KnowledgeRoot, viewer_of
from thebot.knowledge.review import service
from thebot.knowledge.review.resources import AnswerResource
from thebot.knowledge.review.schemas import (
    GradeRequest,
    GradeResult,
    QueuePage,
    ReviewQueueRequest,
)
from thebot.pagination import page_body, paginate_request
from thebot.permissions import KNOWLEDGE_GRADE, KNOWLEDGE_REVIEW
from thebot.schemas import responds

TAGS = ["knowledge"]

review_queue = ApiService(
    name="knowledge_review_queue",
    path="/api/knowledge/review-queue/",
    description="Text answers waiting for a grade, of the students the caller teaches",
    factory=KnowledgeRoot,
)
answer_grade = ApiService(
    name="knowledge_answer_grade",
    path="/api/knowledge/answers/{id}/grade/",
    description="Grade a text answer: the element completes with the score",
    factory=AnswerResource,
)


def caller(request: Request) -> User:
    viewer = viewer_of(request)
    assert viewer is not None  # the permission required a signed-in user
    return viewer


@review_queue.get(
    permission=KNOWLEDGE_REVIEW,
    schema=ReviewQueueRequest(),
    tags=TAGS,
    response_schemas=responds(QueuePage, "A page of pending answers, oldest first"),
)
def list_review_queue(request: Request) -> dict[str, Any]:
    """Filters: ``student``, ``subject``. Teachers see their students' answers in the
    subjects they teach them, tutors their students', admins all."""
    query = request.validated["querystring"]
    stmt = service.queue_statement(caller(request), query)
    rows, next_cursor = paginate_request(request, stmt, service.QUEUE_ORDER)
    return page_body([service.queue_item(row) for row in rows], next_cursor)


@answer_grade.post(
    permission=KNOWLEDGE_GRADE,
    schema=GradeRequest(),
    tags=TAGS,
    response_schemas=responds(GradeResult, "The graded answer and the lesson's progress"),
)
def grade_answer(request: Request) -> dict[str, Any]:
    """409 when the answer is already graded; 400 for a score above the element's."""
    body = request.validated["body"]
    context = request.context
    result = service.grade(
        request.dbsession,
        caller(request),
        context.answer,
        context.node,
        body["score"],
        body["feedback"],
    )
    audit(
        request,
        "knowledge.answer_graded",
        target_type="knowledge_answer",
        target_id=context.answer.id,
        score=body["score"],
        student_id=context.answer.student_id,
    )
    return result
