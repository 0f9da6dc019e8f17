"""``MEDIA_ROOT`` in backups: scan, store, check and restore files with their checksums.

Every archive's ``media/index.jsonl.gz`` lists the whole directory at backup time, so a
restore needs only the last archive's index; the bytes come from the archive named as the
file's ``holder``. An incremental re-reads a file only when its size or modification time
differs from the parent's index (the same rule as ``rsync``), and stores it only when its
SHA-256 changed. Symbolic links and special files are not backed up. Restored files get
their recorded modification time back, so the next incremental sees them as unchanged.

Restore writes into ``MEDIA_ROOT/.thebot-restore-<id>`` first (checking every checksum),
and only after the database commit swaps the contents in: a failed restore leaves
``MEDIA_ROOT`` as it was.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from thebot.backups.engine.archive import ArchiveReader, ArchiveWriter, sha256_file
from thebot.backups.engine.format import MEDIA_INDEX_MEMBER, BackupError, CorruptArchive

RESERVED_PREFIX = ".thebot-"
Progress = Callable[[float, str], None]


def _ignore(fraction: float, message: str) -> None:
    return None


def scan(root: Path) -> Iterator[tuple[str, Path, os.stat_result]]:
    """(relative posix path, absolute path, stat) of every regular file, sorted."""
    if not root.is_dir():
        return
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        if here == root:
            dirs[:] = [d for d in dirs if not d.startswith(RESERVED_PREFIX)]
            files = [f for f in files if not f.startswith(RESERVED_PREFIX)]
        dirs.sort()
        for name in sorted(files):
            path = here / name
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue  # removed while we looked
            if not stat.S_ISREG(info.st_mode):
                continue
            relative = path.relative_to(root).as_posix()
            try:
                relative.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise BackupError(f"media file name is not valid UTF-8: {relative!r}") from exc
            yield relative, path, info


def safe_path(relative: Any, archive: str) -> PurePosixPath:
    """A media path from an archive, refused unless it stays inside ``MEDIA_ROOT``."""
    if not isinstance(relative, str) or not relative or "\\" in relative or "\x00" in relative:
        raise CorruptArchive(f"{archive}: unsafe media path {relative!r}")
    path = PurePosixPath(relative)
    if (
        path.is_absolute()
        or any(part in ("", ".", "..") for part in relative.split("/"))
        or path.parts[0].startswith(RESERVED_PREFIX)
    ):
        raise CorruptArchive(f"{archive}: unsafe media path {relative!r}")
    return path


def read_index(reader: ArchiveReader) -> dict[str, list[Any]]:
    """path -> [size, sha256, mtime_ns, holder] of an archive's media index."""
    index = {}
    for line in reader.lines(reader.manifest["media"]["index"]):
        if not (isinstance(line, list) and len(line) == 5):
            raise CorruptArchive(f"{reader.name}: malformed media index line")
        path, size, sha, mtime_ns, holder = line
        index[path] = [size, sha, mtime_ns, holder]
    return index


def dump_media(
    writer: ArchiveWriter,
    root: Path,
    archive_id: str,
    parent_index: dict[str, list[Any]] | None,
    progress: Progress = _ignore,
) -> dict[str, Any]:
    """Write the media index (and new contents); returns the manifest's ``media`` object."""
    files = list(scan(root))
    total_bytes = max(1, sum(info.st_size for _, _, info in files))
    seen_bytes = 0
    stored = 0
    index = writer.lines(MEDIA_INDEX_MEMBER)
    present = set()
    size_sum = 0
    for relative, path, info in files:
        previous = (parent_index or {}).get(relative)
        try:
            if previous and previous[0] == info.st_size and previous[2] == info.st_mtime_ns:
                size, sha, holder = previous[0], previous[1], previous[3]
            else:
                holder = archive_id
                if previous:  # changed size or time: unchanged bytes keep their holder
                    sha, size = sha256_file(path)
                    holder = previous[3] if sha == previous[1] else archive_id
                if holder == archive_id:
                    sha, size, new = writer.media_file(path)
                    stored += int(new)
        except FileNotFoundError:
            continue  # removed while the backup ran: it is not part of this backup
        index.write([relative, size, sha, info.st_mtime_ns, holder])
        present.add(relative)
        size_sum += size
        seen_bytes += info.st_size
        progress(min(seen_bytes / total_bytes, 1.0), f"media {relative}")
    removed = len(set(parent_index or {}) - present)
    member = index.close()
    return {
        "index": member.as_dict(),
        "files": member.count,
        "bytes": size_sum,
        "stored": stored,
        "removed": removed,
    }


def restore_media(
    final: ArchiveReader,
    holders: dict[str, ArchiveReader],
    target: Path | None,
    progress: Progress = _ignore,
) -> dict[str, int]:
    """Extract (or, with ``target=None``, only check) every file of ``final``'s index."""
    files = 0
    size_sum = 0
    entries = final.manifest["media"]["files"]
    for line in final.lines(final.manifest["media"]["index"]):
        if not (isinstance(line, list) and len(line) == 5):
            raise CorruptArchive(f"{final.name}: malformed media index line")
        relative, size, sha, mtime_ns, holder = line
        path = safe_path(relative, final.name)
        reader = holders.get(holder)
        if reader is None:
            raise CorruptArchive(f"{final.name}: {relative} is held by {holder}, not in the chain")
        if target is None:
            written = reader.copy_media(sha)
        else:
            destination = target.joinpath(*path.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with open(destination, "wb") as out:
                written = reader.copy_media(sha, out)
            os.utime(destination, ns=(mtime_ns, mtime_ns))
        if written != size:
            raise CorruptArchive(f"{final.name}: {relative} has {written} bytes, not {size}")
        files += 1
        size_sum += size
        progress(files / max(1, entries), f"media {relative}")
    return {"files": files, "bytes": size_sum}


def staging_dir(root: Path, token: str) -> Path:
    return root / f"{RESERVED_PREFIX}restore-{token}"


def swap_in(root: Path, staging: Path, token: str) -> None:
    """Replace the contents of ``root`` with those of ``staging`` (same file system)."""
    old = root / f"{RESERVED_PREFIX}old-{token}"
    old.mkdir()
    for entry in list(root.iterdir()):
        if not entry.name.startswith(RESERVED_PREFIX):
            entry.rename(old / entry.name)
    for entry in list(staging.iterdir()):
        entry.rename(root / entry.name)
    staging.rmdir()
    shutil.rmtree(old)
