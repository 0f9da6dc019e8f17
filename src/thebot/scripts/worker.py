"""``thebot-worker production.ini``: run the Dramatiq actors with the app's settings."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import dramatiq

from thebot.scripts.common import bootstrap_app, parser

log = logging.getLogger("thebot.tasks.worker")


def main(argv: list[str] | None = None) -> int:
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
    worker = dramatiq.Worker(
        broker, queues=set(args.queues) if args.queues else None, worker_threads=args.threads
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    log.info(
        "worker started: %d threads, queues %s", args.threads, sorted(broker.get_declared_queues())
    )
    try:
        if args.burst:
            worker.join()
        else:
            stop.wait()
    finally:
        worker.stop()
        env["closer"]()
    log.info("worker stopped")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
