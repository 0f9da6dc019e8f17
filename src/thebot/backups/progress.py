"""Progress reporting: on the catalog record (API), on a terminal (scripts), or both.

A progress callback takes ``(fraction, message)`` with ``fraction`` in 0..1.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from sqlalchemy import update

from thebot.backups.models import Backup

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


def ignore(fraction: float, message: str) -> None:
    return None


def scaled(progress: Progress, start: float, end: float, prefix: str = "") -> Progress:
    """Map 0..1 of a sub-step onto ``start..end`` of the whole operation."""

    def report(fraction: float, message: str) -> None:
        progress(start + (end - start) * max(0.0, min(1.0, fraction)), prefix + message)

    return report


def fanout(*callbacks: Progress | None) -> Progress:
    active = [c for c in callbacks if c is not None]

    def report(fraction: float, message: str) -> None:
        for callback in active:
            callback(fraction, message)

    return report


class RecordProgress:
    """Write progress to a backup record, at most about once a second.

    ``field`` is ``progress`` (creation), ``verify_progress`` or ``restore_progress``;
    ``until`` stops writing past that fraction (a restore cannot write to the catalog once
    its transaction holds the tables).
    """

    def __init__(self, registry: Any, backup_id: int, field: str = "progress", until: float = 1.0):
        self.registry = registry
        self.backup_id = backup_id
        self.field = field
        self.until = until
        self._last_time = 0.0
        self._last_percent = -1

    def __call__(self, fraction: float, message: str) -> None:
        if fraction > self.until:
            return
        percent = max(0, min(99, int(fraction * 100)))
        now = time.monotonic()
        if percent == self._last_percent or now - self._last_time < 1.0:
            return
        self._last_time, self._last_percent = now, percent
        values: dict[str, Any] = {self.field: percent}
        if self.field == "progress":
            values["message"] = message[:200]
        try:
            with self.registry["dbsession_factory"]() as session, session.begin():
                session.execute(update(Backup).where(Backup.id == self.backup_id).values(**values))
        except Exception:  # progress is best effort: never fail the work because of it
            log.warning("could not record progress of backup %s", self.backup_id, exc_info=True)


class TerminalProgress:
    """A one-line progress display, only when ``stream`` is a terminal.

    Log records never share its line: while it shows, every console handler of the root
    logger first clears the line (the next update draws it again below the record).
    """

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._last = ""
        self._guard = _ClearBeforeRecords(self)
        self._guarded: list[logging.Handler] = []

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        line = f"\r{int(fraction * 100):3d}% {message[:70]:<70}"
        if line != self._last:
            if not self._guarded:
                self._guard_handlers()
            self.stream.write(line)
            self.stream.flush()
            self._last = line

    def clear(self) -> None:
        """Wipe the bar from its line (it comes back with the next update)."""
        if self.enabled and self._last:
            self.stream.write("\r" + " " * (len(self._last) - 1) + "\r")
            self.stream.flush()
            self._last = ""

    def done(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\n")
            self.stream.flush()
            self._last = ""
        for handler in self._guarded:
            handler.removeFilter(self._guard)
        self._guarded = []

    def _guard_handlers(self) -> None:
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and _is_terminal(handler.stream):
                handler.addFilter(self._guard)
                self._guarded.append(handler)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


class _ClearBeforeRecords(logging.Filter):
    def __init__(self, progress: TerminalProgress):
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self.progress.clear()
        return True
