"""Comments API: threads on a material, one comment, soft delete and moderation.

Rules (depth, placeholders, flags): ``thebot.materials.comments.service``; who may do what:
``resources`` (and the material's, ``thebot.materials.materials.resources``).
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.materials.comments import service
from thebot.materials.comments.resources import CommentResource
from thebot.materials.comments.schemas import (
    CommentRequest,
    CommentSchema,
    CommentsListRequest,
    ModerateCommentRequest,
    ThreadPage,
)
from thebot.materials.materials.resources import (
    MATERIAL_ID_PATH,
    MATERIAL_PATH,
    MaterialResource,
)
from thebot.materials.models import MaterialComment
from thebot.pagination import page_body, paginate_request
from thebot.permissions import ADD_COMMENT, DELETE_COMMENT, MODERATE_COMMENT, VIEW_COMMENTS
from thebot.responses import check_if_match, created, no_content, with_etag
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["materials"]

material_comments = ApiService(
    name="materials_comments",
    path=MATERIAL_PATH + "comments/",
    path_info=MATERIAL_ID_PATH,
    description="Discussion of a material: threads up to three levels",
    factory=MaterialResource,
)
comment = ApiService(
    name="materials_comment",
    path="/api/materials/comments/{comment_id}/",
    description="One comment; DELETE removes it (soft), PATCH sets the moderation flag",
    factory=CommentResource,
)


@material_comments.get(
    permission=VIEW_COMMENTS,
    schema=CommentsListRequest(),
    tags=TAGS,
    response_schemas=responds(ThreadPage, "A page of top-level comments with their threads"),
)
def list_comments(request: Request) -> dict[str, Any]:
    """Top-level comments, oldest first, each with its replies nested; deleted comments are
    placeholders; a flagged comment's body is shown only to its author and moderators."""
    context = request.context
    rows, next_cursor = paginate_request(
        request, service.top_level_query(context.material), service.LIST_ORDER
    )
    items = service.threads_data(
        request.dbsession, rows, viewer=context.viewer, moderator=context.may_edit
    )
    return page_body(items, next_cursor)


@material_comments.post(
    permission=ADD_COMMENT,
    schema=CommentRequest(),
    tags=TAGS,
    response_schemas=responds(CommentSchema, "The new comment", 201),
)
def add_comment(request: Request) -> dict[str, Any]:
    """Comment on the material, or answer a comment (``parent_id``) up to three levels."""
    context = request.context
    body = request.validated["body"]
    new = service.add_comment(
        request.dbsession, context.viewer, context.material, body["body"], body["parent_id"]
    )
    created(request, "materials_comment", comment_id=new.id)
    return service.comment_data(
        new, context.viewer, viewer=context.viewer, moderator=context.may_edit
    )


def comment_body(request: Request) -> dict[str, Any]:
    context = request.context
    return service.single_comment_data(
        request.dbsession, context.comment, viewer=context.viewer, moderator=context.moderator
    )


def require_live(request: Request) -> MaterialComment:
    """The comment of the request; a deleted one cannot be changed again (404)."""
    target = request.context.comment
    if target.deleted_at is not None:
        raise HTTPNotFound()
    return target


@comment.get(
    permission=VIEW_COMMENTS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(CommentSchema, "The comment (a placeholder once deleted)"),
)
def get_comment(request: Request) -> dict[str, Any]:
    return with_etag(request, comment_body(request))


@comment.patch(
    permission=MODERATE_COMMENT,
    schema=ModerateCommentRequest(),
    tags=TAGS,
    response_schemas=responds(CommentSchema, "The moderated comment"),
)
def moderate_comment(request: Request) -> dict[str, Any]:
    """Set or clear the moderation flag (admins, the teachers and tutors of the material's
    subject); a flagged comment's body is hidden from other readers."""
    target = require_live(request)
    check_if_match(request, comment_body(request))
    flagged = request.validated["body"]["is_flagged"]
    if service.set_flag(request.dbsession, target, flagged):
        audit(
            request,
            "comment.flagged" if flagged else "comment.unflagged",
            target_type="material_comment",
            target_id=target.id,
            material_id=target.material_id,
        )
    return with_etag(request, comment_body(request))


@comment.delete(
    permission=DELETE_COMMENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deleted", 204),
)
def delete_comment(request: Request) -> Response:
    """Soft delete by its author or an admin; the thread keeps a placeholder."""
    target = require_live(request)
    service.delete_comment(request.dbsession, target)
    audit(
        request,
        "comment.deleted",
        target_type="material_comment",
        target_id=target.id,
        material_id=target.material_id,
        author_id=target.author_id,
    )
    return no_content()
