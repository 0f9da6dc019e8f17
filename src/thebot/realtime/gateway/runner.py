"""Running a gateway: in the foreground (``thebot-realtime``) or in a thread of its own
event loop (``pserve development.ini`` with ``REALTIME_IN_PROCESS``, and the tests)."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Any

from thebot.realtime.gateway.server import Gateway

log = logging.getLogger(__name__)


class GatewayThread:
    """A gateway on its own loop in a daemon thread; ``stop()`` ends it."""

    def __init__(self, registry: Any, listen: str | None = None):
        self.gateway = Gateway(registry, listen)
        self.loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="thebot-realtime", daemon=True)

    @property
    def port(self) -> int:
        return self.gateway.port

    def start(self, timeout: float = 15.0) -> GatewayThread:
        self.thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError(f"the realtime gateway did not start: {self.error!r}")
        if self.error is not None:
            raise RuntimeError(f"the realtime gateway did not start: {self.error!r}")
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._run())
        except BaseException as exc:  # reported by start(), logged otherwise
            running = self._started.is_set()
            self.error = exc
            self._started.set()
            if running:  # a failure to start is start()'s to report, once
                log.exception("the realtime gateway stopped")
        finally:
            self.loop.close()

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        await self.gateway.run(self._stop, started=lambda port: self._started.set())

    def call(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the gateway's loop from another thread (tests)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._stop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(timeout)


def run_forever(registry: Any, listen: str | None = None) -> None:
    """``thebot-realtime``: serve until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await Gateway(registry, listen).run(stop)

    asyncio.run(main())
