"""Schemas of the media endpoints: the multipart upload validator and response bodies."""

from __future__ import annotations

from typing import Any

import colander

UPLOAD_FIELD = "file"
MULTIPART = "multipart/form-data"


def upload_validator(request: Any, **kwargs: Any) -> None:
    """A ``multipart/form-data`` body with exactly one file in the field ``file``.

    Sets ``request.validated["file"]`` (the ``cgi.FieldStorage``-like part); anything else
    (another content type, a malformed body, other fields, a query string) is a 400 listing
    what is wrong, in the Cornice error format the problem+json handler renders.
    """
    errors = request.errors
    for name in request.GET:
        errors.add("querystring", name, "Unknown parameter")
    if request.content_type != MULTIPART:
        errors.add(
            "header",
            "Content-Type",
            f"Expected {MULTIPART} with the file in the field '{UPLOAD_FIELD}', "
            f"got {request.content_type or 'none'}",
        )
        return
    try:
        form = request.POST
    except Exception:  # the multipart parser's errors are not one type (ValueError, KeyError)
        errors.add("body", "", "Malformed multipart body")
        return
    for name in sorted(set(form.keys()) - {UPLOAD_FIELD}):
        errors.add("body", name, "Unknown field")
    uploads = form.getall(UPLOAD_FIELD)
    if not uploads:
        errors.add("body", UPLOAD_FIELD, "Required: the file to upload")
    elif len(uploads) > 1:
        errors.add("body", UPLOAD_FIELD, "Send one file")
    elif getattr(uploads[0], "file", None) is None or not hasattr(uploads[0], "filename"):
        errors.add("body", UPLOAD_FIELD, "Must be a file part (with a filename)")
    if len(errors) == 0:
        request.validated["file"] = uploads[0]


class MediaFileSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    url = colander.SchemaNode(colander.String(), description="GET it with your credentials")
    content_type = colander.SchemaNode(colander.String(), description="Verified from the bytes")
    size = colander.SchemaNode(colander.Integer(), description="Bytes")
    original_name = colander.SchemaNode(colander.String(), description="Sanitized client name")
    sha256 = colander.SchemaNode(colander.String())
