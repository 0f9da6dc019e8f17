"""``thebot-scheduler production.ini``: enqueue periodic work; exactly one runs per database.

It takes the scheduler lock (``thebot.tasks.lock``) before anything else: a second scheduler
prints one line naming the first and exits with ``EXIT_LOCKED`` (no hot standby: a restart
policy brings a scheduler back, and the lock is free the moment the old process is gone).
While it runs it records a heartbeat, checks now and then that the lock is still its own
(pausing the jobs while it cannot tell), and reports a broker outage with one error and
retry notices with backoff (``thebot.tasks.watch``); periodic messages then wait in the
outbox.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from thebot.db import utcnow
from thebot.outages import OUTAGES, first_line
from thebot.scripts.common import bootstrap_app, fail, parser
from thebot.system.heartbeats import SCHEDULER, Heartbeats, recent
from thebot.tasks.lock import LockUnsupported, SchedulerLock
from thebot.tasks.periodic import build_scheduler
from thebot.tasks.watch import BrokerWatch

log = logging.getLogger("thebot.tasks.scheduler")
EXIT_CONFIG, EXIT_DOWN, EXIT_LOCKED = 2, 3, 4
EPILOG = (
    "Exit codes: 0 stopped by a signal; 2 configuration problem; 3 database unreachable at "
    "start-up; 4 another scheduler holds the lock (at start-up, or took it over later)."
)


def main(argv: list[str] | None = None, stop: threading.Event | None = None) -> int:
    """``stop``: set it to stop the scheduler (tests); SIGINT and SIGTERM set it too."""
    p = parser("Enqueue the periodic tasks of every feature on their schedule.")
    p.epilog = EPILOG
    p.add_argument("--list", action="store_true", help="print the schedule and exit")
    args = p.parse_args(argv)
    env = bootstrap_app(args.config_uri)
    registry = env["registry"]
    try:
        if args.list:
            for periodic in registry.get("periodic_tasks", []):
                print(f"{periodic.task_name}\t{periodic.cron or f'every {periodic.seconds}s'}")
            return 0
        return run(registry, stop or threading.Event())
    finally:
        env["closer"]()


def holder(registry: Any) -> str:
    """Who holds the lock, as far as the heartbeats tell."""
    try:
        with registry["dbsession_factory"]() as session:
            seen = recent(session, registry.settings["heartbeat_timeout"], SCHEDULER)
    except SQLAlchemyError:
        seen = []
    live = [p for p in seen if p.live]
    if not live:
        return "no heartbeat from it: a web process with SCHEDULER_IN_PROCESS?"
    ago = (utcnow() - live[0].last_seen).total_seconds()
    return f"pid {live[0].pid} on {live[0].host}, heartbeat {ago:.0f} s ago"


def run(registry: Any, stop: threading.Event) -> int:
    try:
        lock = SchedulerLock(registry["dbengine"])
        got = lock.acquire()
    except LockUnsupported as exc:
        return fail(f"thebot-scheduler: {exc}", EXIT_CONFIG)
    except SQLAlchemyError as exc:
        return fail(f"thebot-scheduler: database unavailable: {first_line(exc)}", EXIT_DOWN)
    if not got:
        return fail(
            f"thebot-scheduler: another scheduler is running ({holder(registry)}); "
            f"only one may run per database. Exit code {EXIT_LOCKED}.",
            EXIT_LOCKED,
        )
    if threading.current_thread() is threading.main_thread():
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    quiet_apscheduler()
    settings = registry.settings
    beats = Heartbeats(
        registry["dbsession_factory"], SCHEDULER, (), settings["heartbeat_interval"]
    )
    watch = BrokerWatch(registry["task_broker"])
    scheduler = build_scheduler(registry, BackgroundScheduler(timezone="UTC"), watch=watch)
    keeper = LockKeeper(lock, scheduler, stop, settings["heartbeat_interval"])
    beats.start()
    watch.start(stop)
    watch.check()  # down: one error now, retry notices from the watch thread
    scheduler.start()
    keeper.start()
    log.info("scheduler started with %d jobs (lock: %s)", len(scheduler.get_jobs()), lock.backend)
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        beats.stop()
        lock.release()
    log.info("scheduler stopped")
    return EXIT_LOCKED if keeper.lost else 0


def quiet_apscheduler() -> None:
    """APScheduler logs a line per job added and two per job run (the relay runs every 10 s):
    warnings only, unless the ini asks for DEBUG (someone is looking)."""
    logger = logging.getLogger("apscheduler")
    if logger.getEffectiveLevel() > logging.DEBUG:
        logger.setLevel(logging.WARNING)


class LockKeeper:
    """Checks the lock every ``interval`` s; jobs pause while it is not confirmed."""

    def __init__(
        self, lock: SchedulerLock, scheduler: Any, stop: threading.Event, interval: float
    ):
        self.lock = lock
        self.scheduler = scheduler
        self.stop = stop
        self.interval = interval
        self.lost = False
        self.paused = False

    def check(self) -> None:
        if self.lock.held():
            return
        if not self.paused:
            self.scheduler.pause()
            self.paused = True
        try:
            got = self.lock.acquire()
        except Exception as exc:  # the database is down: paused until it is back
            OUTAGES.failed("scheduler lock", exc, "periodic jobs paused")
            return
        if got:
            OUTAGES.recovered("scheduler lock")
            log.warning("scheduler lock taken again after its connection dropped; jobs resume")
            self.scheduler.resume()
            self.paused = False
            return
        log.error("another scheduler took the lock while the database was away: stopping")
        self.lost = True
        self.stop.set()

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            self.check()

    def start(self) -> None:
        threading.Thread(target=self._run, name="thebot-scheduler-lock", daemon=True).start()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
