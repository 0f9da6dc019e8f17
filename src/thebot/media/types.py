"""What an upload really is: its content type from the bytes, never from its name.

``filetype`` matches signatures. ZIP containers (Office Open XML, OpenDocument) and OLE
compound files (legacy Office) are opened to see what they declare and hold, which also
tells a ``.docx`` from a ``.pptx`` whatever the member order, and refuses macro-enabled
documents and other OLE files (installers). Plain text is UTF-8 without control characters
and without HTML markup. ``Copied`` collects what detection needs during the one streaming
pass over the upload (first and last bytes, whether it is still valid text).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import filetype
import olefile

log = logging.getLogger(__name__)

HEAD_SIZE = 8192  # what signature matching looks at
TAIL_SIZE = 1024  # where a PDF's %%EOF marker must be


@dataclass(frozen=True)
class FileType:
    mime: str
    label: str
    extensions: tuple[str, ...]  # the first one is canonical


def _t(mime: str, label: str, *extensions: str) -> FileType:
    return FileType(mime, label, extensions)


KNOWN_TYPES: dict[str, FileType] = {
    t.mime: t
    for t in (
        _t("application/pdf", "PDF document", "pdf"),
        _t("application/msword", "Word 97-2003 document", "doc"),
        _t(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word document",
            "docx",
        ),
        _t("application/vnd.ms-powerpoint", "PowerPoint 97-2003 presentation", "ppt"),
        _t(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint presentation",
            "pptx",
        ),
        _t("application/vnd.ms-excel", "Excel 97-2003 workbook", "xls"),
        _t(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel workbook",
            "xlsx",
        ),
        _t("application/vnd.oasis.opendocument.text", "OpenDocument text", "odt"),
        _t("application/vnd.oasis.opendocument.presentation", "OpenDocument presentation", "odp"),
        _t("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet", "ods"),
        _t("text/plain", "plain text", "txt", "text", "md", "markdown", "csv", "tsv", "log"),
        _t("image/png", "PNG image", "png"),
        _t("image/jpeg", "JPEG image", "jpg", "jpeg", "jpe"),
        _t("image/gif", "GIF image", "gif"),
        _t("image/webp", "WebP image", "webp"),
    )
}
# A name ending in one of these claims that type; the content must then be of it.
EXTENSION_TYPES = {ext: t.mime for t in KNOWN_TYPES.values() for ext in t.extensions}
DOCUMENTS = frozenset(KNOWN_TYPES)
AVATAR_IMAGES = frozenset({"image/png", "image/jpeg", "image/webp"})
# Names for rejected content in messages (what filetype and the container checks report).
OTHER_LABELS = {
    "text/html": "HTML",
    "application/zip": "a ZIP archive",
    "application/x-ole-storage": "an OLE container that is not an Office document",
    "application/vnd.ms-office.macroenabled": "a macro-enabled Office document",
    "application/x-msdownload": "a Windows executable",
    "application/x-executable": "an executable",
}
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
OOXML_MAIN_PARTS = (  # (main part content type, folder of the parts, mime)
    (
        "wordprocessingml.document.main+xml",
        "word/",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "presentationml.presentation.main+xml",
        "ppt/",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        "spreadsheetml.sheet.main+xml",
        "xl/",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
)
OLE_STREAMS = (  # (stream that marks the document, mime)
    ("worddocument", "application/msword"),
    ("workbook", "application/vnd.ms-excel"),
    ("book", "application/vnd.ms-excel"),
    ("powerpoint document", "application/vnd.ms-powerpoint"),
)
OLE_MACRO_STORAGES = ("macros", "_vba_project_cur", "vba")
MAX_ZIP_MEMBER = 1024 * 1024  # [Content_Types].xml / mimetype are small; refuse bombs
BINARY_TEXT_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
MARKUP_RE = re.compile(
    r"^\s*<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml|!--|meta|object|embed)\b"
    r"|<script\b",
    re.IGNORECASE,
)


@dataclass
class Copied:
    """What one pass over the upload learned: size, digest, first and last bytes, text."""

    size: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)
    head: bytes = b""
    tail: bytes = b""
    text: bool = True
    decoder: Any = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")())

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.sha256.update(chunk)
        if len(self.head) < HEAD_SIZE:
            self.head += chunk[: HEAD_SIZE - len(self.head)]
        self.tail = (self.tail + chunk)[-TAIL_SIZE:]
        if self.text:
            try:
                self.text = not BINARY_TEXT_RE.search(self.decoder.decode(chunk))
            except UnicodeDecodeError:
                self.text = False

    def finish(self) -> None:
        if self.text:
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.text = False


def detect_type(path: Path, copied: Copied) -> str | None:
    """The content type of the bytes at ``path`` (``None``: not recognised)."""
    head = copied.head
    if head.startswith(ZIP_SIGNATURE):
        return _zip_type(path)
    if head.startswith(OLE_SIGNATURE):
        return _ole_type(path)
    kind = filetype.guess(head)
    if kind is not None:
        mime = {"image/apng": "image/png"}.get(kind.mime, kind.mime)
        if mime == "application/pdf" and b"%%EOF" not in copied.tail:
            return None  # a PDF header on something else (or a truncated PDF)
        return mime
    if copied.text and copied.size:
        sample = head.decode("utf-8", "ignore").lstrip("\ufeff")
        return "text/html" if MARKUP_RE.search(sample) else "text/plain"
    return None


def _zip_type(path: Path) -> str | None:
    """OOXML and OpenDocument by what the archive declares and holds; other ZIPs as such."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            names = [name.lower() for name in infos]
            if any(name.endswith("vbaproject.bin") for name in names):
                return "application/vnd.ms-office.macroenabled"
            mimetype = infos.get("mimetype")
            if mimetype is not None and mimetype.file_size <= MAX_ZIP_MEMBER:
                declared = archive.read(mimetype).decode("ascii", "replace").strip()
                return declared if declared in KNOWN_TYPES else "application/zip"
            types = infos.get("[Content_Types].xml")
            if types is not None and types.file_size <= MAX_ZIP_MEMBER:
                declared = archive.read(types).decode("utf-8", "replace")
                if "macroenabled" in declared.lower():
                    return "application/vnd.ms-office.macroenabled"
                for main_part, folder, mime in OOXML_MAIN_PARTS:
                    if main_part in declared and any(n.startswith(folder) for n in names):
                        return mime
            return "application/zip"
    except Exception:  # any malformed archive (bad CRC, encryption, truncation) is unknown
        log.info("upload looks like a ZIP but cannot be read", exc_info=True)
        return None


def _ole_type(path: Path) -> str | None:
    """Legacy Office by the streams the compound file holds (MSI and others are refused)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            entries = [[part.lower() for part in entry] for entry in ole.listdir(True, True)]
    except Exception:  # not a readable compound file
        log.info("upload looks like an OLE file but cannot be read", exc_info=True)
        return None
    if any(entry[0] in OLE_MACRO_STORAGES for entry in entries):
        return "application/vnd.ms-office.macroenabled"
    top = {entry[0] for entry in entries if len(entry) == 1}
    for stream, mime in OLE_STREAMS:
        if stream in top:
            return mime
    return "application/x-ole-storage"


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def label_of(mime: str | None) -> str:
    if mime is None:
        return "not a recognised file type"
    known = KNOWN_TYPES.get(mime)
    return known.label if known else OTHER_LABELS.get(mime, mime)
