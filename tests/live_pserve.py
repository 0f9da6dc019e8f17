"""A live ``pserve`` for the tests that need a real server socket (mark them ``slow``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# The developer's or CI's service settings must not reach the server under test.
SCRUBBED_ENV = ("DATABASE_", "DB_", "REDIS", "SECRET", "MAX_REQUEST")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_pserve(
    folder: Path, is_live: Callable[[], bool], *, capture: bool = False
) -> Iterator[subprocess.Popen]:
    """``pserve development.ini`` in ``folder``, once ``is_live()`` says so; stopped after.

    ``capture``: its output is kept (``proc.stdout``) for the failure message."""
    pserve = shutil.which("pserve", path=str(Path(sys.executable).parent)) or "pserve"
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_ENV)}
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    proc = subprocess.Popen(
        [pserve, "development.ini"],
        cwd=folder,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if is_live():
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read() if capture else "pserve exited"
            assert time.monotonic() < deadline, "pserve did not start in 60 s"
            time.sleep(0.3)
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
