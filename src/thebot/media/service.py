"""Uploaded files: stream to ``MEDIA_ROOT``, verify the type from the bytes, store safely.

``store_upload`` is the one way a file enters the system (material files, submission files,
avatars). It copies the upload in chunks into a temporary file under ``MEDIA_ROOT`` while
hashing and counting, stops at the size limit of the kind (413), detects the content type
from the bytes alone (the client's file name and part header only have to agree with it) and
checks it against the kind's allow-list (415); a rejected file leaves nothing behind. A file
that passes is moved to a generated, sharded name (``material/3f/a9/3fa9....pdf``) and its
``MediaFile`` row joins the request's transaction: if that transaction aborts (or its commit
fails), the file is removed again, and ``discard_media`` removes a file only once the
deletion of its row has committed. How the type is detected: ``media_types``.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, BinaryIO

from thebot.errors import Invalid, TooLarge, UnsupportedType
from thebot.media.models import MediaFile, MediaKind
from thebot.media.types import (
    DOCUMENTS,
    EXTENSION_TYPES,
    KNOWN_TYPES,
    Copied,
    detect_type,
    extension_of,
    label_of,
)

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
# Backups skip top-level names starting with ".thebot-" (thebot.backups.engine.media), so
# half-written uploads are never archived.
TMP_DIR = ".thebot-uploads"
FILE_MODE = 0o640

OWNER_MATERIAL = "material"
OWNER_SUBMISSION = "submission"
OWNER_USER = "user"  # avatars

AVATAR_IMAGES = frozenset({"image/png", "image/jpeg", "image/webp"})
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    MediaKind.MATERIAL.value: DOCUMENTS,
    MediaKind.SUBMISSION.value: DOCUMENTS,
    MediaKind.AVATAR.value: AVATAR_IMAGES,
}
SIZE_SETTINGS = {
    MediaKind.MATERIAL.value: "media_max_upload_size",
    MediaKind.SUBMISSION.value: "media_max_upload_size",
    MediaKind.AVATAR.value: "media_max_avatar_size",
}
STORAGE_NAME_RE = re.compile(
    r"(material|submission|avatar)/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.[a-z]{2,8}"
)


# --- copying ----------------------------------------------------------------------------


def copy_limited(source: BinaryIO, target: BinaryIO, limit: int, kind: str) -> Copied:
    """Copy in chunks while hashing; 413 as soon as more than ``limit`` bytes arrive."""
    copied = Copied()
    while chunk := source.read(CHUNK_SIZE):
        if copied.size + len(chunk) > limit:
            raise TooLarge(
                f"The file is larger than {human_size(limit)}, the limit for {kind} files.",
                max_size=limit,
            )
        copied.feed(chunk)
        target.write(chunk)
    copied.finish()
    return copied


# --- names ------------------------------------------------------------------------------


def human_size(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def sanitize_filename(raw: str, max_length: int = 200) -> str:
    """The client's file name made safe to keep and to send back (no path, no controls)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    # Category C: controls, format characters (bidi overrides that fake "exe.pdf"), unassigned.
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        keep = ext if dot and 0 < len(ext) <= 10 else ""
        name = name[: max_length - len(keep) - 1].rstrip(" .") + ("." + keep if keep else "")
    return name


def new_storage_name(kind: str, extension: str) -> str:
    token = secrets.token_hex(16)
    return f"{kind}/{token[:2]}/{token[2:4]}/{token}.{extension}"


def media_path(settings: dict[str, Any], storage_name: str) -> Path:
    """The file of a storage name, refused (``ValueError``) unless it is one we generate."""
    if not STORAGE_NAME_RE.fullmatch(storage_name or ""):
        raise ValueError(f"not a media storage name: {storage_name!r}")
    return Path(settings["media_root"]).joinpath(*storage_name.split("/"))


# --- the pipeline -----------------------------------------------------------------------


def allowed_labels(kind: str) -> list[str]:
    return sorted({KNOWN_TYPES[m].label for m in ALLOWED_TYPES[kind]})


def _reject(kind: str, detail: str) -> UnsupportedType:
    return UnsupportedType(detail, allowed_types=allowed_labels(kind))


def check_type(kind: str, mime: str | None, name: str) -> str:
    """415 unless ``mime`` is allowed for ``kind`` and the name claims no other type."""
    claimed = EXTENSION_TYPES.get(extension_of(name))
    if claimed is not None and claimed != mime:
        raise _reject(
            kind,
            f"The file is named like a {KNOWN_TYPES[claimed].label} but its content is "
            f"{label_of(mime)}.",
        )
    if mime not in ALLOWED_TYPES[kind]:
        raise _reject(kind, f"Files of this type are not accepted here: {label_of(mime)}.")
    return mime


def download_name(name: str, mime: str) -> str:
    """The name to send back: the client's, with the verified type's extension if missing."""
    known = KNOWN_TYPES[mime]
    if extension_of(name) in known.extensions:
        return name
    base = name or "file"
    return f"{base}.{known.extensions[0]}"


def store_upload(
    request: Any, upload: Any, *, kind: str, owner_type: str, owner_id: int
) -> MediaFile:
    """Store one uploaded file (``request.POST`` field) as a ``MediaFile`` of ``kind``.

    413 past the kind's size limit, 415 for a type the kind does not accept, 400 for an
    empty file; nothing is kept then. The row is flushed in the request's transaction and
    the file is removed again if that transaction does not commit.
    """
    if kind not in ALLOWED_TYPES:
        raise ValueError(f"unknown media kind {kind!r}")
    source = getattr(upload, "file", None)
    if source is None:
        raise Invalid(detail="The upload is not a file.", errors=[_file_error("Not a file")])
    settings = request.registry.settings
    limit = int(settings[SIZE_SETTINGS[kind]])
    original = sanitize_filename(getattr(upload, "filename", "") or "")
    root = Path(settings["media_root"])
    scratch = root / TMP_DIR
    scratch.mkdir(parents=True, exist_ok=True)
    if hasattr(source, "seek"):
        source.seek(0)  # a retried request reads the same upload again
    fd, tmp_name = tempfile.mkstemp(dir=scratch, prefix="upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            copied = copy_limited(source, out, limit, kind)
        if copied.size == 0:
            raise Invalid(detail="The file is empty.", errors=[_file_error("Empty file")])
        mime = check_type(kind, detect_type(tmp, copied), original)
        storage_name = new_storage_name(kind, KNOWN_TYPES[mime].extensions[0])
        final = media_path(settings, storage_name)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _remove_unless_committed(request, final)
    viewer = getattr(getattr(request, "identity", None), "user", None)
    media = MediaFile(
        kind=kind,
        storage_name=storage_name,
        original_name=download_name(original, mime),
        content_type=mime,
        size=copied.size,
        sha256=copied.sha256.hexdigest(),
        uploaded_by_id=getattr(viewer, "id", None),
        owner_type=owner_type,
        owner_id=owner_id,
    )
    request.dbsession.add(media)
    request.dbsession.flush()
    log.info("stored %s upload %s (%s, %d bytes)", kind, storage_name, mime, copied.size)
    return media


def discard_media(request: Any, media: MediaFile) -> None:
    """Delete the row now; delete the file once that deletion has committed."""
    path = media_path(request.registry.settings, media.storage_name)
    request.dbsession.delete(media)
    _transaction(request).addAfterCommitHook(_remove_if_committed, args=(path,))


MEDIA_FIELDS = ("id", "storage_name", "content_type", "size", "original_name", "sha256")


def media_payload(media: MediaFile) -> dict[str, Any]:
    return media_json(*(getattr(media, name) for name in MEDIA_FIELDS))


def media_json(
    id: int, storage_name: str, content_type: str, size: int, original_name: str, sha256: str
) -> dict[str, Any]:
    """A file's JSON from its ``MEDIA_FIELDS`` values (list queries select those columns)."""
    return {
        "id": id,
        "url": f"/media/{storage_name}",
        "content_type": content_type,
        "size": size,
        "original_name": original_name,
        "sha256": sha256,
    }


def _file_error(description: str) -> dict[str, str]:
    return {"location": "body", "name": "file", "description": description}


def _transaction(request: Any) -> Any:
    manager = getattr(request, "tm", None)
    if manager is None:
        import transaction

        manager = transaction.manager
    return manager.get()


def _remove_unless_committed(request: Any, path: Path) -> None:
    txn = _transaction(request)
    txn.addAfterCommitHook(_remove_if_failed, args=(path,))
    txn.addAfterAbortHook(_remove, args=(path,))


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # logged, not raised: the transaction has already ended
        log.exception("could not remove media file %s", path)


def _remove_if_failed(committed: bool, path: Path) -> None:
    if not committed:
        _remove(path)


def _remove_if_committed(committed: bool, path: Path) -> None:
    if committed:
        _remove(path)
