"""``POST /api/assignments/{id}/start/``: open a timed attempt (its clock starts now)."""

from __future__ import annotations

from typing import Any

import colander

from thebot.api import ApiService, Request
from thebot.assignments.assignments.resources import AssignmentResource
from thebot.assignments.attempts import service as timed_attempts
from thebot.assignments.submissions import service as submissions
from thebot.db import utcnow
from thebot.permissions import SUBMIT_ASSIGNMENT
from thebot.schemas import EmptyRequest

start_service = ApiService(
    name="assignment_attempt_start",
    path="/api/assignments/{assignment_id}/start/",
    description="Start the next attempt of a timed assignment; returns its deadline",
    factory=AssignmentResource,
)


class AttemptStartSchema(colander.MappingSchema):
    attempt = colander.SchemaNode(colander.Integer())
    started_at = colander.SchemaNode(colander.DateTime())
    deadline = colander.SchemaNode(colander.DateTime())


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
