"""Route factory of one submission: who sees it and who reviews it."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.accounts.users.resources import DENY_REST, viewer_of
from thebot.api import parse_id
from thebot.materials import visibility
from thebot.materials.materials.resources import grants
from thebot.materials.models import Material, MaterialSubmission
from thebot.permissions import REVIEW_SUBMISSION, VIEW_SUBMISSIONS


class SubmissionResource:
    """``/api/materials/submissions/{submission_id}/``: a submission the caller may see.

    Reviewers (``visibility.can_review``) give feedback; others who see it only read it.
    """

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.submission: MaterialSubmission | None = None
        self.material: Material | None = None
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return
        submission_id = parse_id(request.matchdict.get("submission_id"))
        submission = None
        if submission_id is not None:
            submission = request.dbsession.execute(
                select(MaterialSubmission).where(
                    MaterialSubmission.id == submission_id,
                    visibility.visible_submissions_clause(self.viewer),
                )
            ).scalar_one_or_none()
        if submission is None:
            raise HTTPNotFound()
        self.submission = submission
        self.material = request.dbsession.get(Material, submission.material_id)
        permissions = {VIEW_SUBMISSIONS}
        if self.material is not None and visibility.can_review(
            request.dbsession, self.viewer, self.material
        ):
            permissions.add(REVIEW_SUBMISSION)
        self.__acl__ = grants(self.viewer, permissions)


def can_view_submission_file(dbsession: Session, viewer: User, media: Any) -> bool:
    """A submission's file (``config.add_media_owner``): whoever may see the submission."""
    submission = dbsession.get(MaterialSubmission, media.owner_id)
    return submission is not None and visibility.can_view_submission(dbsession, viewer, submission)
