"""Media endpoints: avatars, and ``GET /media/{path}`` serving files (a material's file is
uploaded through ``thebot.materials.materials.views``).

Uploads go through ``thebot.media.service.store_upload`` (size limit, type from the bytes,
generated names, transaction-bound files); who may do what is decided by the resources in
``thebot.media.resources``.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import FileResponse, Response
from sqlalchemy import select

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.errors import APIProblem
from thebot.media.models import MediaFile, MediaKind
from thebot.media.resources import AvatarResource, MediaResource
from thebot.media.schemas import MediaFileSchema, upload_validator
from thebot.media.service import (
    OWNER_USER,
    discard_media,
    media_path,
    media_payload,
    store_upload,
)
from thebot.permissions import MANAGE_AVATAR, VIEW_MEDIA, VIEW_USER
from thebot.responses import no_content
from thebot.schemas import NoContent, NoQueryRequest, responds

log = logging.getLogger(__name__)

TAGS = ["media"]
# Files never change under a name, but who may read them does: revalidate every time
# (a conditional GET is a 304 after the permission check).
CACHE_CONTROL = "private, no-cache"

avatar = ApiService(
    name="accounts_user_avatar",
    path="/api/accounts/users/{user_id}/avatar/",
    description="A user's avatar image (PNG, JPEG, WebP)",
    factory=AvatarResource,
)
media_file = ApiService(
    name="media_file",
    path="/media/{path:.*}",
    description="An uploaded file, for those who may see the object it belongs to",
    factory=MediaResource,
)


# --- uploads ----------------------------------------------------------------------------


def created_file(request: Request, media: MediaFile) -> None:
    request.response.status = 201
    request.response.headers["Location"] = request.application_url + media_payload(media)["url"]


def user_avatars(request: Request, user_id: int) -> list[MediaFile]:
    """The user's avatar files, newest first (the first one is the avatar)."""
    return list(
        request.dbsession.scalars(
            select(MediaFile)
            .where(
                MediaFile.kind == MediaKind.AVATAR.value,
                MediaFile.owner_type == OWNER_USER,
                MediaFile.owner_id == user_id,
            )
            .order_by(MediaFile.created_at.desc(), MediaFile.id.desc())
        )
    )


@avatar.get(
    permission=VIEW_USER,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(MediaFileSchema, "The current avatar"),
)
def get_avatar(request: Request) -> dict[str, Any]:
    """The avatar's file (its ``url`` serves the image); 404 when the user has none."""
    avatars = user_avatars(request, request.context.user.id)
    if not avatars:
        raise APIProblem(404, "This user has no avatar.")
    return media_payload(avatars[0])


@avatar.post(
    permission=MANAGE_AVATAR,
    validators=(upload_validator,),
    tags=TAGS,
    response_schemas=responds(MediaFileSchema, "The new avatar", 201),
)
def upload_avatar(request: Request) -> dict[str, Any]:
    """Multipart field ``file``: a PNG, JPEG or WebP image; replaces the previous avatar.
    The user themself or an admin."""
    user = request.context.user
    previous = user_avatars(request, user.id)
    media = store_upload(
        request,
        request.validated["file"],
        kind=MediaKind.AVATAR.value,
        owner_type=OWNER_USER,
        owner_id=user.id,
    )
    for old in previous:
        discard_media(request, old)
    audit(request, "avatar.changed", target_type="user", target_id=user.id, file_id=media.id)
    request.dbsession.flush()
    created_file(request, media)
    return media_payload(media)


@avatar.delete(
    permission=MANAGE_AVATAR,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Removed", 204),
)
def delete_avatar(request: Request) -> Response:
    """Remove the avatar (its file is deleted once this commits); 204 also when there was
    none, so a repeated DELETE is harmless."""
    user = request.context.user
    avatars = user_avatars(request, user.id)
    for old in avatars:
        discard_media(request, old)
    if avatars:
        audit(request, "avatar.removed", target_type="user", target_id=user.id)
    return no_content()


# --- serving ----------------------------------------------------------------------------


def content_disposition(media: MediaFile) -> str:
    """Images inline, everything else as a download; ``filename*`` carries the real name."""
    disposition = "inline" if media.content_type.startswith("image/") else "attachment"
    name = media.original_name or "file"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(c if c.isalnum() or c in "._- ()" else "_" for c in fallback).strip()
    fallback = fallback or "file"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def not_modified(request: Request, etag: str, last_modified: dt.datetime) -> bool:
    """RFC 9110: ``If-None-Match`` decides when sent; otherwise ``If-Modified-Since``."""
    if "If-None-Match" in request.headers:
        return etag in request.if_none_match
    try:
        since = request.if_modified_since
    except (ValueError, OverflowError):  # a date WebOb cannot convert (year 10000) is ignored,
        since = None  # like any invalid one (RFC 9110), not a 500
    return since is not None and last_modified <= since


def stored_file(request: Request, media: MediaFile) -> Path:
    """The file on disk, inside ``MEDIA_ROOT`` (a symlink out of it is not followed)."""
    settings = request.registry.settings
    path = media_path(settings, media.storage_name)
    root = Path(settings["media_root"]).resolve()
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        resolved = None
    if resolved is None or not resolved.is_relative_to(root) or not resolved.is_file():
        log.error("media file %s (id %s) is missing from MEDIA_ROOT", media.storage_name, media.id)
        raise HTTPNotFound()
    return resolved


# No query schema: a cache-busting ``?v=`` from a front end is harmless and ignored.
@media_file.get(permission=VIEW_MEDIA, tags=TAGS)
def get_media(request: Request) -> Response:
    """The file with its verified type; ``ETag`` (SHA-256) and ``Last-Modified`` give 304s."""
    media = request.context.media
    path = stored_file(request, media)
    modified = dt.datetime.fromtimestamp(int(path.stat().st_mtime), dt.timezone.utc)
    if not_modified(request, media.sha256, modified):
        response = Response(status=304)
    else:
        # FileResponse streams through wsgi.file_wrapper when the server offers it.
        response = FileResponse(str(path), request=request, content_type=media.content_type)
        response.conditional_response = False  # decided above, after the permission check
        response.headers["Content-Disposition"] = content_disposition(media)
    response.etag = media.sha256
    response.last_modified = modified
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
