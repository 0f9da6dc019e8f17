"""``thebot-worker production.ini``: run the Dramatiq actors with the app's settings.

It records a heartbeat (``thebot.system.heartbeats``) with the queues it consumes. With the
broker down it logs one error, then a retry notice per attempt with exponential backoff
(``thebot.tasks.watch``), and starts consuming once the broker answers; an outage while it
runs is reported the same way instead of Dramatiq's CRITICAL line per queue every 3 s.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

from thebot.scripts.common import bootstrap_app, parser
from thebot.system.heartbeats import RUNNING, WORKER, Heartbeats
from thebot.tasks.watch import BrokerWatch, quiet_consumers

log = logging.getLogger("thebot.tasks.worker")
BURST_POLL_SECONDS = 0.1
BURST_QUIET_POLLS = 5  # idle this many polls in a row: a message between two hands is seen
WAITING = "waiting for the task broker"


def waiting_in_broker(broker: dramatiq.Broker, queues: set[str]) -> int:
    """Messages on the broker not yet taken by a worker, delayed ones included."""
    total = 0
    for queue in queues:
        for name in (queue, dq_name(queue)):
            if isinstance(broker, StubBroker):
                total += broker.queues[name].qsize() if name in broker.queues else 0
            elif isinstance(broker, RedisBroker):
                total += int(broker.client.llen(f"{broker.namespace}:{name}"))
    return total


def busy_here(worker: dramatiq.Worker) -> bool:
    """Messages this worker holds: in progress, queued for its threads, or delayed and due."""
    if worker.work_queue.unfinished_tasks:
        return True
    now_ms = time.time() * 1000
    for consumer in worker.consumers.values():
        due = [item for item in list(consumer.delay_queue.queue) if item.priority <= now_ms]
        if due:
            return True
    return False


def run_burst(
    worker: dramatiq.Worker, broker: dramatiq.Broker, queues: set[str], stop: threading.Event
) -> None:
    """Return once every queue is empty and nothing is in progress.

    ``Worker.join`` only waits for what the consumers have already fetched, which right after
    the start is at most one message. Delayed messages that are not due yet are left on the
    broker (the worker hands them back when it stops): a burst does not wait for tomorrow.
    """
    quiet = 0
    while not stop.is_set():
        if busy_here(worker) or waiting_in_broker(broker, queues):
            quiet = 0
        else:
            quiet += 1
            if quiet >= BURST_QUIET_POLLS:
                return
        stop.wait(BURST_POLL_SECONDS)


def declared_queues(broker: dramatiq.Broker, only: Any) -> set[str]:
    declared = set(broker.get_declared_queues())
    return declared & set(only) if only else declared


def main(argv: list[str] | None = None, stop: threading.Event | None = None) -> int:
    """``stop``: set it to stop the worker (tests); SIGINT and SIGTERM set it too."""
    p = parser("Process background tasks (email, reminders, backups) from the task broker.")
    p.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    p.add_argument("--queues", nargs="*", help="only these queues (default: all)")
    p.add_argument(
        "--burst", action="store_true", help="exit once the queues are empty (tests, cron)"
    )
    args = p.parse_args(argv)
    env = bootstrap_app(args.config_uri)
    registry = env["registry"]
    broker = registry["task_broker"]
    if broker.thebot_kind != "redis":
        log.warning("task broker is %s: only this process's messages are seen", broker.thebot_kind)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    queues = declared_queues(broker, args.queues)
    try:
        if args.burst:
            burst(broker, args, queues, stop)
        else:
            serve(registry, broker, args, queues, stop)
    finally:
        env["closer"]()
    log.info("worker stopped")
    return 0


def new_worker(broker: dramatiq.Broker, args: Any) -> dramatiq.Worker:
    return dramatiq.Worker(
        broker, queues=set(args.queues) if args.queues else None, worker_threads=args.threads
    )


def burst(broker: dramatiq.Broker, args: Any, queues: set[str], stop: threading.Event) -> None:
    """Tests and cron: no heartbeat (it is not a worker to count on), no waiting for the broker."""
    worker = new_worker(broker, args)
    worker.start()
    try:
        run_burst(worker, broker, queues, stop)
    finally:
        worker.stop()


def serve(
    registry: Any, broker: dramatiq.Broker, args: Any, queues: set[str], stop: threading.Event
) -> None:
    """Beat, wait for the broker (with backoff), consume until ``stop``."""
    beats = Heartbeats(
        registry["dbsession_factory"], WORKER, queues, registry.settings["heartbeat_interval"]
    )
    watch = BrokerWatch(
        broker, on_change=lambda down: beats.set_state(WAITING if down else RUNNING)
    )
    unquiet = quiet_consumers(watch, queues)
    beats.start()
    try:
        if not watch.wait_until_up(stop):
            return  # stopped while waiting
        watch.start(stop)
        worker = new_worker(broker, args)
        worker.start()
        log.info("worker started: %d threads, queues %s", args.threads, sorted(queues))
        try:
            stop.wait()
        finally:
            worker.stop()
    finally:
        beats.stop()
        unquiet()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
