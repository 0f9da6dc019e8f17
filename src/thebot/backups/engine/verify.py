"""Verify a backup: re-read its chain, check every checksum and the manifests, and restore it
into a scratch SQLite database, comparing every table's row count with the manifest.

The trial restore runs the same code as a real restore (``restore_chain``), minus the
migrations newer than the archive, the catalog and the media swap; media files are
decompressed and their SHA-256 checked without being written anywhere.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from thebot.backups.engine.restore import Link, open_chain, restore_chain
from thebot.db import get_engine

Progress = Callable[[float, str], None]
TRIAL = "trial restore into a scratch database"
log = logging.getLogger(__name__)


def _ignore(fraction: float, message: str) -> None:
    return None


def verify_chain(
    links: list[Link],
    *,
    settings: dict[str, Any],
    scratch_root: Path,
    progress: Progress = _ignore,
) -> dict[str, Any]:
    """Details of a passed verification; raises ``BackupError`` (or a subclass) on failure."""
    started = time.monotonic()
    readers = open_chain(links, progress=lambda f, m: progress(0.4 * f, m))
    scratch = scratch_root / f".verify-{uuid.uuid4().hex[:12]}"
    scratch.mkdir(parents=True)
    engine = get_engine({"sqlalchemy.url": make_url(f"sqlite:///{scratch / 'trial.sqlite'}")})
    log.info("%s (SQLite) of %s", TRIAL, readers[-1].name)
    try:
        trial = restore_chain(
            engine,
            readers,
            settings=settings,
            media_root=None,
            migrate=False,
            keep_catalog=False,
            progress=lambda f, m: progress(0.4 + 0.6 * f, f"{TRIAL}: {m}"),
        )
        final = readers[-1].manifest
        return {
            "archives": [r.name for r in readers],
            "format_version": final["format_version"],
            "revision": final["alembic_revision"],
            "tables": len(final["tables"]),
            "rows": sum(t["total_rows"] for t in final["tables"]),
            "media_files": trial["media_files"],
            "media_bytes": trial["media_bytes"],
            "trial_restore": {
                "dialect": "sqlite",
                "seconds": trial["seconds"],
                "counts": trial["counts"],
            },
            "seconds": round(time.monotonic() - started, 3),
        }
    finally:
        engine.dispose()
        for reader in readers:
            reader.close()
        shutil.rmtree(scratch, ignore_errors=True)
