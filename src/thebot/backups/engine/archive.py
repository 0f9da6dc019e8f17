"""The archive container: a tar of gzip members, hashed while written and while read.

Members are staged as files next to the final archive, then streamed into the tar with the
manifest first; the archive appears under its final name only when complete (``os.replace``
of a ``.partial`` file), so a crash never leaves a half-written archive that looks whole.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from thebot.backups.engine.format import MANIFEST_MEMBER, CorruptArchive, media_member
from thebot.backups.engine.manifest import parse_manifest

COMPRESSLEVEL = 6
CHUNK = 1 << 20
LINE_BATCH = 2000
READ_ERRORS = (OSError, EOFError, zlib.error, ValueError, tarfile.TarError)


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> tuple[str, int]:
    """(SHA-256 hex digest, size) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest(), size


class _HashingWriter:
    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class _HashingReader:
    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0
        self.mode = "rb"

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        self.size += len(data)
        return data

    def drain(self) -> str:
        while self.read(CHUNK):
            pass
        return self.sha.hexdigest()


@dataclass(frozen=True)
class MemberInfo:
    member: str
    count: int
    sha256: str
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "count": self.count,
            "sha256": self.sha256,
            "bytes": self.bytes,
        }


class LineWriter:
    """JSON lines into one gzip member; ``close()`` gives its count and checksum."""

    def __init__(self, path: Path, member: str):
        self.member = member
        self.count = 0
        self._raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._hash = _HashingWriter(self._raw)
        self._gzip = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._hash, compresslevel=COMPRESSLEVEL, mtime=0
        )
        self._pending: list[str] = []

    def write(self, values: Any) -> None:
        self._pending.append(
            json.dumps(values, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        )
        self.count += 1
        if len(self._pending) >= LINE_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._gzip.write(("\n".join(self._pending) + "\n").encode("utf-8"))
            self._pending = []

    def close(self) -> MemberInfo:
        self._flush()
        self._gzip.close()
        self._raw.close()
        return MemberInfo(self.member, self.count, self._hash.sha.hexdigest(), self._hash.size)


class ArchiveWriter:
    """Stage members, then write ``<directory>/<name>`` with the manifest first."""

    def __init__(self, directory: Path, name: str):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / name
        self._partial = directory / f".{name}.partial"
        self._staging = directory / f".{name}.staging"
        self._staging.mkdir()
        self._members: dict[str, Path] = {}

    def _stage(self) -> Path:
        return self._staging / f"{len(self._members) + 1:07d}"

    def lines(self, member: str) -> LineWriter:
        staged = self._stage()
        self._members[member] = staged
        return LineWriter(staged, member)

    def has(self, member: str) -> bool:
        return member in self._members

    def media_file(self, source: Path) -> tuple[str, int, bool]:
        """Store a file's content, once per SHA-256; returns (sha256, size, newly stored)."""
        staged = self._staging / "incoming"
        digest = hashlib.sha256()
        size = 0
        with (
            open(source, "rb") as src,
            open(staged, "wb") as raw,
            gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=COMPRESSLEVEL, mtime=0
            ) as out,
        ):
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        member = media_member(sha)
        if member in self._members:
            staged.unlink()
            return sha, size, False
        final = self._stage()
        staged.rename(final)
        self._members[member] = final
        return sha, size, True

    def finish(self, manifest: dict[str, Any]) -> tuple[Path, int, str]:
        """Write the archive; returns (path, size, SHA-256 of the whole file)."""
        data = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8")
        with open(self._partial, "wb") as raw:
            hashing = _HashingWriter(raw)
            # A stream ("w|") is only written to; typeshed asks any fileobj to read and seek.
            stream = cast(BinaryIO, hashing)
            with tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                tar.addfile(_tarinfo(MANIFEST_MEMBER, len(data)), io.BytesIO(data))
                for member, staged in self._members.items():
                    with open(staged, "rb") as fh:
                        tar.addfile(_tarinfo(member, os.fstat(fh.fileno()).st_size), fh)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(self._partial, self.path)
        shutil.rmtree(self._staging, ignore_errors=True)
        return self.path, hashing.size, hashing.sha.hexdigest()

    def abort(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)
        self._partial.unlink(missing_ok=True)


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o640
    info.mtime = int(time.time())
    return info


class ArchiveReader:
    """Read a backup archive; every member's checksum is checked as it is read."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.name = self.path.name
        self.sha256: str | None = None  # of the whole file, once a caller has checked it
        try:
            self._tar = tarfile.open(self.path, mode="r:")  # noqa: SIM115 - see close()
        except (OSError, tarfile.TarError) as exc:
            raise CorruptArchive(f"{self.name}: not a readable backup archive ({exc})") from exc
        try:
            self._members = {m.name: m for m in self._tar}
            self.manifest = parse_manifest(self._read_all(MANIFEST_MEMBER), self.name)
        except CorruptArchive:
            self.close()
            raise
        except READ_ERRORS as exc:
            self.close()
            raise CorruptArchive(f"{self.name}: not a readable backup archive ({exc})") from exc

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._tar.close()

    @property
    def id(self) -> str:
        return self.manifest["id"]

    def _open(self, member: str) -> IO[bytes]:
        info = self._members.get(member)
        if info is None or not info.isfile():
            raise CorruptArchive(f"{self.name}: member {member} is missing")
        handle = self._tar.extractfile(info)
        if handle is None:  # pragma: no cover - isfile() was checked
            raise CorruptArchive(f"{self.name}: member {member} is not a file")
        return handle

    def _read_all(self, member: str) -> bytes:
        return self._open(member).read()

    def has(self, member: str) -> bool:
        return member in self._members

    def check(self, info: dict[str, Any]) -> None:
        """Compare a member's stored bytes with the manifest's SHA-256 and size."""
        reader = _HashingReader(self._open(info["member"]))
        try:
            digest = reader.drain()
        except READ_ERRORS as exc:
            raise self._damaged(info["member"], exc) from exc
        if digest != info["sha256"] or reader.size != info["bytes"]:
            raise CorruptArchive(f"{self.name}: checksum mismatch in {info['member']}")

    def lines(self, info: dict[str, Any]) -> Iterator[Any]:
        """Decoded JSON lines of a member; the checksum and count are checked at the end."""
        member = info["member"]
        reader = _HashingReader(self._open(member))
        count = 0
        try:
            # Read front to back, never sought; typeshed asks a readable fileobj to seek.
            with gzip.GzipFile(fileobj=cast(BinaryIO, reader), mode="rb") as gz:
                for line in gz:
                    count += 1
                    yield json.loads(line)
            digest = reader.drain()
        except READ_ERRORS as exc:
            raise self._damaged(member, exc) from exc
        if digest != info["sha256"]:
            raise CorruptArchive(f"{self.name}: checksum mismatch in {member}")
        if count != info["count"]:
            raise CorruptArchive(
                f"{self.name}: {member} holds {count} lines, the manifest says {info['count']}"
            )

    def copy_media(self, sha256: str, target: BinaryIO | None = None) -> int:
        """Decompress one stored file (into ``target`` if given), checking its SHA-256."""
        member = media_member(sha256)
        digest = hashlib.sha256()
        size = 0
        try:
            with gzip.GzipFile(fileobj=self._open(member), mode="rb") as gz:
                while chunk := gz.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if target is not None:
                        target.write(chunk)
        except CorruptArchive:
            raise
        except READ_ERRORS as exc:
            raise self._damaged(member, exc) from exc
        if digest.hexdigest() != sha256:
            raise CorruptArchive(f"{self.name}: checksum mismatch in {member}")
        return size

    def _damaged(self, member: str, exc: BaseException) -> CorruptArchive:
        return CorruptArchive(f"{self.name}: member {member} is damaged ({exc})")
