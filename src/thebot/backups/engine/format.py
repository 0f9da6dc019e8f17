"""The THE_BOT backup format, version 1, and the typed encoding of column values.

Archive
-------
One uncompressed POSIX tar file (``thebot-<created>-<type>-<uuid>.tar``) whose members are
each gzip-compressed, so a reader can reach any member without decompressing the others:

``manifest.json``
    Always the first member; plain JSON (see ``thebot.backups.engine.manifest`` for every key):
    ``format`` (``"thebot-backup"``), ``format_version`` (``1``), ``id`` (a UUID), ``type``
    (``full`` | ``incremental``), ``created_at`` (RFC 3339 UTC), ``app_version``,
    ``alembic_revision``, ``source`` (dialect), ``parent`` (incrementals: the parent's
    ``id``, archive file name and archive SHA-256), ``tables`` and ``media``.
``tables/NNNN-<table>.rows.jsonl.gz``
    One JSON array per line: the row's values in the order of the table entry's
    ``columns``, encoded by the entry's ``types`` (below). Tables appear in foreign-key
    order (``Base.metadata.sorted_tables``), every table of the application except the
    backup catalog and the change log.
``tables/NNNN-<table>.deleted.jsonl.gz``
    Incrementals only: one JSON array per line, the primary key of a row that no longer
    exists (encoded like the key columns).
``media/index.jsonl.gz``
    The complete ``MEDIA_ROOT`` at backup time, one line per file:
    ``[path, size, sha256, mtime_ns, holder]``: ``path`` is relative, ``/``-separated;
    ``sha256`` is of the file's bytes; ``holder`` is the ``id`` of the archive in the chain
    that stores those bytes (this one or an ancestor).
``media/files/<sha256>.gz``
    File contents, stored once per distinct content in the archive that first saw them.

Each table entry gives ``mode``: ``full`` (a full backup: every row), ``changes`` (rows
inserted or updated since the parent, plus the deleted keys) or ``replace`` (an incremental
that copies the whole table because changes were not captured for it since the parent).
``rows``/``deleted`` give the member, line ``count``, ``sha256`` and ``bytes`` of the
compressed member as stored; ``total_rows`` is the table's row count at backup time, which
a restore (and the trial restore of verify) checks.

Column encoding (``types``)
---------------------------
==============  ================================================================
``integer``     JSON number
``float``       JSON number; ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` as strings
``decimal``     string (``"5000.00"``), never a binary float
``string``      JSON string
``boolean``     ``true`` / ``false``
``datetime``    RFC 3339 string, UTC (``+00:00``) for timezone-aware columns
``date``        ``YYYY-MM-DD``; ``time``: ``HH:MM:SS[.ffffff]``
``interval``    integer microseconds
``binary``      base64 string
``json``        the JSON value itself
``uuid``        canonical hex string
==============  ================================================================

``null`` is SQL NULL, except in a ``json`` column declared NOT NULL, where it is the JSON
``null`` (SQLAlchemy reads both as ``None``). A reader must refuse a ``format_version`` it
does not know; a writer bumps it for any change a version-1 reader would misread.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import types as sqltypes

FORMAT_NAME = "thebot-backup"
FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = frozenset({1})
MANIFEST_MEMBER = "manifest.json"
MEDIA_INDEX_MEMBER = "media/index.jsonl.gz"
TYPE_TAGS = frozenset(
    {
        "integer",
        "float",
        "decimal",
        "string",
        "boolean",
        "datetime",
        "date",
        "time",
        "interval",
        "binary",
        "json",
        "uuid",
    }
)


class BackupError(Exception):
    """A backup, verification or restore that cannot go on; the message is for operators."""


class CorruptArchive(BackupError):
    """The archive is damaged or not a THE_BOT backup."""


class IncompatibleArchive(BackupError):
    """A sound archive this installation must not restore (format or schema too new)."""


def table_member(position: int, table: str, kind: str) -> str:
    return f"tables/{position:04d}-{table}.{kind}.jsonl.gz"


def media_member(sha256: str) -> str:
    return f"media/files/{sha256}.gz"


def type_tag(type_: sqltypes.TypeEngine) -> str:
    """The portable tag of a column type (other decorated types are judged by their ``impl``)."""
    if isinstance(type_, sqltypes.Interval):  # a TypeDecorator over DateTime
        return "interval"
    if isinstance(type_, sqltypes.TypeDecorator):
        return type_tag(type_.impl_instance)
    checks: tuple[tuple[type, str], ...] = (
        (sqltypes.JSON, "json"),
        (sqltypes.ARRAY, "json"),
        (sqltypes.Boolean, "boolean"),
        (sqltypes.DateTime, "datetime"),
        (sqltypes.Date, "date"),
        (sqltypes.Time, "time"),
        (sqltypes.Interval, "interval"),
        (sqltypes._Binary, "binary"),
        (sqltypes.Uuid, "uuid"),
        (sqltypes.Float, "float"),
        (sqltypes.Numeric, "decimal"),
        (sqltypes.Integer, "integer"),
    )
    for kind, tag in checks:
        if isinstance(type_, kind):
            if tag == "decimal" and not getattr(type_, "asdecimal", True):
                return "float"
            return tag
    return "string"


# --- encoding: Python value (as SQLAlchemy returns it) -> JSON value ---------------------


def _float_out(value: float) -> Any:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _datetime_out(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    return value.isoformat()


def _interval_out(value: dt.timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "integer": int,
    "float": lambda v: _float_out(float(v)),
    "decimal": lambda v: str(v),
    "string": str,
    "boolean": bool,
    "datetime": _datetime_out,
    "date": lambda v: v.isoformat(),
    "time": lambda v: v.isoformat(),
    "interval": _interval_out,
    "binary": lambda v: base64.b64encode(bytes(v)).decode("ascii"),
    "json": lambda v: v,
    "uuid": lambda v: str(v),
}


PASS_THROUGH = frozenset({"integer", "boolean", "json"})  # already JSON values


def _same(value: Any) -> Any:
    return value


def encoder(tag: str) -> Callable[[Any], Any]:
    if tag in PASS_THROUGH:
        return _same
    encode = ENCODERS[tag]

    def run(value: Any) -> Any:
        return None if value is None else encode(value)

    return run


# --- decoding: JSON value -> Python value for the target database -----------------------


def _float_in(value: Any) -> float:
    if isinstance(value, str):
        if value not in ("NaN", "Infinity", "-Infinity"):
            raise ValueError(f"not a float: {value!r}")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a float: {value!r}")
    return float(value)


def _int_in(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer: {value!r}")
    return value


def _str_in(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a string: {value!r}")
    return value


def _bool_in(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"not a boolean: {value!r}")
    return value


def _datetime_in(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(_str_in(value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc)
    return parsed


def _decimal_in(value: Any) -> decimal.Decimal:
    try:
        return decimal.Decimal(_str_in(value))
    except decimal.InvalidOperation as exc:
        raise ValueError(f"not a decimal: {value!r}") from exc


DECODERS: dict[str, Callable[[Any], Any]] = {
    "integer": _int_in,
    "float": _float_in,
    "decimal": _decimal_in,
    "string": _str_in,
    "boolean": _bool_in,
    "datetime": _datetime_in,
    "date": lambda v: dt.date.fromisoformat(_str_in(v)),
    "time": lambda v: dt.time.fromisoformat(_str_in(v)),
    "interval": lambda v: dt.timedelta(microseconds=_int_in(v)),
    "binary": lambda v: base64.b64decode(_str_in(v), validate=True),
    "json": lambda v: v,
    "uuid": lambda v: uuid.UUID(_str_in(v)),
}


def decoder(tag: str) -> Callable[[Any], Any]:
    decode = DECODERS[tag]

    def run(value: Any) -> Any:
        return None if value is None else decode(value)

    return run


def key_decoder(tag: str) -> Callable[[Any], Any]:
    """Decode a key value read back from the change log (JSON written by the database).

    Integers and strings arrive as themselves; other key types arrive as the database's
    text form, which the format decoders accept (ISO dates and times, UUID text).
    """
    if tag in ("integer", "string"):
        return decoder(tag)
    if tag == "decimal":
        return lambda v: None if v is None else decimal.Decimal(str(v))
    return decoder(tag)
