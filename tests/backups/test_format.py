"""The backup format: typed values survive encoding, manifests are validated strictly."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    String,
    Text,
    Time,
    Uuid,
)

from thebot.backups.engine.format import (
    CorruptArchive,
    IncompatibleArchive,
    decoder,
    encoder,
    type_tag,
)
from thebot.backups.engine.manifest import validate_manifest
from thebot.backups.engine.media import safe_path
from thebot.db import UTCDateTime

MSK = dt.timezone(dt.timedelta(hours=3))
VALUES = [
    ("integer", 2**53 + 1),
    ("integer", -7),
    ("float", 0.1 + 0.2),
    ("float", 1e-300),
    ("decimal", Decimal("12345678901234567890.123456789")),
    ("decimal", Decimal("-0.00")),
    ("string", "Ёлка \u2028 \x00 «»"),
    ("boolean", False),
    ("datetime", dt.datetime(2026, 12, 1, 15, 0, 0, 1, tzinfo=dt.timezone.utc)),
    ("datetime", dt.datetime(2026, 12, 1, 15, 0)),
    ("date", dt.date(1999, 12, 31)),
    ("time", dt.time(23, 59, 59, 999999)),
    ("interval", dt.timedelta(days=-1, seconds=5, microseconds=7)),
    ("binary", bytes(range(256))),
    ("json", {"a": [1, 2.5, None, True, "x"], "b": {}}),
    ("json", None),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
]


@pytest.mark.parametrize(("tag", "value"), VALUES)
def test_values_survive_encoding_through_json(tag, value):
    wire = json.loads(json.dumps(encoder(tag)(value), allow_nan=False))
    assert decoder(tag)(wire) == value


def test_aware_datetimes_are_written_in_utc():
    assert encoder("datetime")(dt.datetime(2026, 12, 1, 15, 0, tzinfo=MSK)) == (
        "2026-12-01T12:00:00+00:00"
    )


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinite_floats_survive(value):
    assert decoder("float")(json.loads(json.dumps(encoder("float")(value)))) == value


def test_nan_survives():
    assert math.isnan(decoder("float")(encoder("float")(math.nan)))


@pytest.mark.parametrize(
    ("tag", "wire"),
    [
        ("integer", True),
        ("integer", "5"),
        ("float", "1.5"),
        ("boolean", 1),
        ("string", 5),
        ("decimal", 1.5),
        ("decimal", "abc"),
        ("binary", "***"),
        ("datetime", "yesterday"),
    ],
)
def test_decoders_refuse_values_of_the_wrong_type(tag, wire):
    with pytest.raises(ValueError):
        decoder(tag)(wire)


@pytest.mark.parametrize(
    ("type_", "tag"),
    [
        (UTCDateTime(), "datetime"),
        (DateTime(), "datetime"),
        (Numeric(12, 2), "decimal"),
        (Numeric(asdecimal=False), "float"),
        (Float(), "float"),
        (Integer(), "integer"),
        (Enum("a", "b", name="ab"), "string"),
        (String(5), "string"),
        (Text(), "string"),
        (Boolean(), "boolean"),
        (Date(), "date"),
        (Time(), "time"),
        (Interval(), "interval"),
        (LargeBinary(), "binary"),
        (JSON(), "json"),
        (Uuid(), "uuid"),
    ],
)
def test_column_types_map_to_tags(type_, tag):
    assert type_tag(type_) == tag


MEMBER = {"member": "tables/0001-t.rows.jsonl.gz", "count": 1, "sha256": "a" * 64, "bytes": 10}
MANIFEST = {
    "format": "thebot-backup",
    "format_version": 1,
    "id": "b" * 32,
    "type": "full",
    "created_at": "2026-11-28T00:00:00+00:00",
    "app_version": "0.1.0",
    "alembic_revision": "abc",
    "source": {"dialect": "sqlite"},
    "parent": None,
    "chain": [],
    "tables": [
        {
            "name": "t",
            "columns": ["id", "v"],
            "types": ["integer", "string"],
            "primary_key": ["id"],
            "mode": "full",
            "total_rows": 1,
            "rows": MEMBER,
            "deleted": None,
        }
    ],
    "media": {
        "index": {**MEMBER, "member": "media/index.jsonl.gz", "count": 0},
        "files": 0,
        "bytes": 0,
        "stored": 0,
        "removed": 0,
    },
}


def test_a_valid_manifest_passes():
    assert validate_manifest(copy.deepcopy(MANIFEST), "a.tar")["id"] == "b" * 32


def broken(change) -> dict:
    manifest = copy.deepcopy(MANIFEST)
    change(manifest)
    return manifest


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(format="other"),
        lambda m: m.pop("alembic_revision"),
        lambda m: m.update(id="not-hex"),
        lambda m: m.update(type="partial"),
        lambda m: m.update(parent={"id": "c" * 32, "file": "x", "sha256": "d" * 64}),
        lambda m: m["tables"][0].update(primary_key=["nope"]),
        lambda m: m["tables"][0].update(mode="changes"),
        lambda m: m["tables"][0].update(total_rows=2),
        lambda m: m["tables"][0]["rows"].update(sha256="short"),
        lambda m: m["tables"][0]["rows"].update(count=-1),
        lambda m: m["tables"].append(copy.deepcopy(m["tables"][0])),
        lambda m: m["media"].update(files=3),
        lambda m: m.update(tables="all"),
    ],
)
def test_invalid_manifests_are_corrupt(change):
    with pytest.raises(CorruptArchive):
        validate_manifest(broken(change), "a.tar")


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(format_version=2),
        lambda m: m["tables"][0].update(types=["integer", "hologram"]),
    ],
)
def test_newer_formats_are_incompatible(change):
    with pytest.raises(IncompatibleArchive):
        validate_manifest(broken(change), "a.tar")


@pytest.mark.parametrize(
    "path",
    ["../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b", "", ".thebot-old-1/x", None, 5],
)
def test_unsafe_media_paths_are_refused(path):
    with pytest.raises(CorruptArchive):
        safe_path(path, "a.tar")


def test_ordinary_media_paths_are_accepted():
    assert str(safe_path("materials/1/урок 1.pdf", "a.tar")) == "materials/1/урок 1.pdf"
