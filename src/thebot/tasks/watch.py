"""The task broker seen from ``thebot-worker`` and ``thebot-scheduler`` while it is down.

An outage costs a few log lines: one error when it starts (``OUTAGES``, shared with the
outbox relay), then a retry notice per attempt with exponential backoff (1 s, 2 s, 4 s ...
up to a minute), then one line when it is back. Dramatiq's consumer threads retry on their
own every 3 s and log a CRITICAL line per queue each time; ``quiet_consumers`` hands those
lines to the watch instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import dramatiq
from dramatiq.common import dq_name

from thebot.outages import OUTAGES, OutageLog
from thebot.tasks.outbox import BROKER

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0
CONNECTION_ERROR = "Consumer encountered a connection error"
RESTARTING = "Restarting consumer in"


def where(broker: dramatiq.Broker) -> str:
    """The broker's address for log lines, never its password."""
    pool = getattr(getattr(broker, "client", None), "connection_pool", None)
    if pool is None:
        return str(getattr(broker, "thebot_kind", type(broker).__name__))
    kwargs = pool.connection_kwargs
    if "path" in kwargs:
        return f"redis+unix://{kwargs['path']}"
    host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
    return f"redis://{host}:{port}/{kwargs.get('db', 0)}"


def ping(broker: dramatiq.Broker) -> None:
    """Raise if the broker does not answer (a broker in this process always does)."""
    client = getattr(broker, "client", None)
    if client is not None:
        client.ping()


class BrokerWatch:
    """Tracks whether the broker answers; retries with backoff while it does not."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        outages: OutageLog = OUTAGES,
        first: float = FIRST_RETRY_SECONDS,
        maximum: float = MAX_RETRY_SECONDS,
        on_change: Callable[[bool], None] | None = None,
    ):
        self.broker = broker
        self.outages = outages
        self.first = first
        self.maximum = maximum
        self.on_change = on_change
        self.where = where(broker)
        self.down = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def failed(self, exc: BaseException | None) -> None:
        """Something could not reach the broker: one error per outage, then the retries."""
        self.outages.failed(BROKER, exc, self.where)
        with self._lock:
            changed, self.down = not self.down, True
        if changed and self.on_change:
            self.on_change(True)
        self._wake.set()

    def _recovered(self) -> None:
        with self._lock:
            changed, self.down = self.down, False
        self.outages.recovered(BROKER)
        if changed and self.on_change:
            self.on_change(False)

    def check(self) -> bool:
        """Ask the broker once; ``True`` when it answers."""
        try:
            ping(self.broker)
        except Exception as exc:  # any failure to answer is an outage
            self.failed(exc)
            return False
        self._recovered()
        return True

    def wait_until_up(self, stop: threading.Event) -> bool:
        """Block until the broker answers (``True``) or ``stop`` is set (``False``)."""
        delay = self.first
        attempt = 1
        while not stop.is_set():
            if self.check():
                return True
            log.warning(
                "task broker %s unreachable (attempt %d): next try in %g s",
                self.where,
                attempt,
                delay,
            )
            if stop.wait(delay):
                break
            delay = min(self.maximum, delay * 2)
            attempt += 1
        return False

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self.down and not stop.is_set():
                self.wait_until_up(stop)

    def start(self, stop: threading.Event) -> BrokerWatch:
        """Watch in a daemon thread: each reported failure starts the retries."""

        def wake_on_stop() -> None:
            stop.wait()
            self._wake.set()

        self._thread = threading.Thread(
            target=self._run, args=(stop,), name="thebot-broker-watch", daemon=True
        )
        self._thread.start()
        threading.Thread(target=wake_on_stop, name="thebot-broker-watch-stop", daemon=True).start()
        return self


class ConsumerGate(logging.Filter):
    """Dramatiq consumer lines about a lost connection go to the watch, not to the log."""

    def __init__(self, watch: BrokerWatch):
        super().__init__()
        self.watch = watch

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith(CONNECTION_ERROR):
            arg = record.args[0] if isinstance(record.args, tuple) and record.args else None
            exc = arg if isinstance(arg, BaseException) else ConnectionError(record.getMessage())
            self.watch.failed(exc)
            return False
        return not message.startswith(RESTARTING)


def consumer_loggers(queues: Iterable[str]) -> list[logging.Logger]:
    """The loggers of Dramatiq's consumer threads for ``queues`` and their delay queues."""
    names: list[str] = []
    for queue in sorted(queues):
        names += [queue, dq_name(queue)]
    return [logging.getLogger(f"dramatiq.worker.ConsumerThread({name})") for name in names]


def quiet_consumers(watch: BrokerWatch, queues: Iterable[str]) -> Callable[[], None]:
    """Gate the consumer loggers of ``queues``; returns the function that removes the gate."""
    gate = ConsumerGate(watch)
    loggers = consumer_loggers(queues)
    for logger in loggers:
        logger.addFilter(gate)

    def remove() -> None:
        for logger in loggers:
            logger.removeFilter(gate)

    return remove
