"""The manifest of a backup archive: its keys (format version 1) and their validation.

A reader trusts nothing in an archive before this validation passes: every key present
with the right type, a known format version, known column type tags, member entries with
a count, a SHA-256 and a size. The layout itself is described in ``thebot.backups.engine.format``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from thebot.backups.engine.format import (
    FORMAT_NAME,
    MEDIA_INDEX_MEMBER,
    SUPPORTED_FORMAT_VERSIONS,
    TYPE_TAGS,
    CorruptArchive,
    IncompatibleArchive,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
TABLE_MODES = {"full": {"full"}, "incremental": {"changes", "replace"}}


def _check(condition: bool, archive: str, problem: str) -> None:
    if not condition:
        raise CorruptArchive(f"{archive}: invalid manifest: {problem}")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_member(info: Any, archive: str, where: str) -> None:
    _check(isinstance(info, dict), archive, f"{where} is not an object")
    _check(isinstance(info.get("member"), str) and info["member"] != "", archive, where)
    _check(_is_count(info.get("count")), archive, f"{where}.count")
    _check(_is_count(info.get("bytes")), archive, f"{where}.bytes")
    _check(
        isinstance(info.get("sha256"), str) and bool(HEX64.match(info["sha256"])),
        archive,
        f"{where}.sha256",
    )


def _check_table(entry: Any, kind: str, archive: str) -> None:
    _check(isinstance(entry, dict), archive, "a table entry is not an object")
    name = entry.get("name")
    _check(isinstance(name, str) and name != "", archive, "a table has no name")
    columns, types, key = entry.get("columns"), entry.get("types"), entry.get("primary_key")
    _check(isinstance(columns, list) and bool(columns), archive, f"{name}.columns")
    _check(all(isinstance(c, str) for c in columns), archive, f"{name}.columns")
    _check(len(set(columns)) == len(columns), archive, f"{name}.columns repeat a name")
    _check(isinstance(types, list) and len(types) == len(columns), archive, f"{name}.types")
    unknown = [t for t in types if t not in TYPE_TAGS]
    if unknown:
        raise IncompatibleArchive(f"{archive}: unknown column types {unknown} in {name}")
    _check(
        isinstance(key, list) and bool(key) and set(key) <= set(columns),
        archive,
        f"{name}.primary_key",
    )
    _check(entry.get("mode") in TABLE_MODES[kind], archive, f"{name}.mode")
    _check(_is_count(entry.get("total_rows")), archive, f"{name}.total_rows")
    _check_member(entry.get("rows"), archive, f"{name}.rows")
    if entry["mode"] == "changes":
        _check_member(entry.get("deleted"), archive, f"{name}.deleted")
    else:
        _check(entry.get("deleted") is None, archive, f"{name}.deleted")
    if entry["mode"] != "changes":
        _check(entry["rows"]["count"] == entry["total_rows"], archive, f"{name} row count")


def validate_manifest(data: Any, archive: str) -> dict[str, Any]:
    """Return ``data`` if it is a valid manifest; raise ``CorruptArchive`` otherwise."""
    _check(isinstance(data, dict), archive, "not a JSON object")
    _check(data.get("format") == FORMAT_NAME, archive, "not a THE_BOT backup")
    version = data.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise IncompatibleArchive(
            f"{archive}: backup format version {version!r} is not supported by this version "
            f"of THE_BOT (supported: {sorted(SUPPORTED_FORMAT_VERSIONS)})"
        )
    kind = data.get("type")
    _check(kind in TABLE_MODES, archive, "type")
    _check(isinstance(data.get("id"), str) and bool(HEX32.match(data["id"])), archive, "id")
    for key in ("created_at", "app_version", "alembic_revision"):
        _check(isinstance(data.get(key), str) and data[key] != "", archive, key)
    _check(isinstance(data.get("source"), dict), archive, "source")
    parent = data.get("parent")
    if kind == "full":
        _check(parent is None and data.get("chain") == [], archive, "parent of a full backup")
    else:
        _check(isinstance(parent, dict), archive, "parent")
        _check(
            isinstance(parent.get("id"), str) and bool(HEX32.match(parent["id"])),
            archive,
            "parent.id",
        )
        _check(isinstance(parent.get("file"), str), archive, "parent.file")
        _check(
            isinstance(parent.get("sha256"), str) and bool(HEX64.match(parent["sha256"])),
            archive,
            "parent.sha256",
        )
        chain = data.get("chain")
        _check(
            isinstance(chain, list) and bool(chain) and chain[-1] == parent["id"], archive, "chain"
        )
    tables = data.get("tables")
    _check(isinstance(tables, list), archive, "tables")
    for entry in tables:
        _check_table(entry, kind, archive)
    names = [t["name"] for t in tables]
    _check(len(set(names)) == len(names), archive, "a table is listed twice")
    media = data.get("media")
    _check(isinstance(media, dict), archive, "media")
    _check_member(media.get("index"), archive, "media.index")
    _check(media["index"]["member"] == MEDIA_INDEX_MEMBER, archive, "media.index.member")
    for key in ("files", "bytes", "stored", "removed"):
        _check(_is_count(media.get(key)), archive, f"media.{key}")
    _check(media["files"] == media["index"]["count"], archive, "media.files")
    return data


def parse_manifest(raw: bytes, archive: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise CorruptArchive(f"{archive}: the manifest is not JSON ({exc})") from exc
    return validate_manifest(data, archive)


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The few numbers the catalog keeps from a manifest."""
    tables = manifest["tables"]
    media = manifest["media"]
    return {
        "tables": len(tables),
        "rows": sum(t["rows"]["count"] for t in tables),
        "deleted": sum((t["deleted"] or {}).get("count", 0) for t in tables),
        "total_rows": sum(t["total_rows"] for t in tables),
        "replaced_tables": sorted(t["name"] for t in tables if t["mode"] == "replace"),
        "media_files": media["files"],
        "media_bytes": media["bytes"],
        "media_stored": media["stored"],
        "media_removed": media["removed"],
    }
