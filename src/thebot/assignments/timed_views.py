"""``POST /api/assignments/{id}/start/``: open a timed attempt (its clock starts now)."""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, EmptyRequest
from thebot.assignments import submissions, timed_attempts
from thebot.assignments.assignment_resources import AssignmentResource
from thebot.db import utcnow
from thebot.security import SUBMIT_ASSIGNMENT

start_service = ApiService(
    name="assignment_attempt_start",
    path="/api/assignments/{assignment_id}/start/",
    description="Start the next attempt of a timed assignment; returns its deadline",
    factory=AssignmentResource,
)


@start_service.post(permission=SUBMIT_ASSIGNMENT, schema=EmptyRequest(), tags=["assignments"])
def start_attempt(request: Any) -> dict[str, Any]:
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
