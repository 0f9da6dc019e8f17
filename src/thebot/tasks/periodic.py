"""Periodic work: features register actors with ``config.add_periodic_task``.

``thebot-scheduler`` (one per database: ``thebot.tasks.lock``) enqueues them on their
schedule with APScheduler; in development the same jobs can run inside the web process.
While the broker is down a periodic message is kept in the outbox (at most one waiting per
task, as APScheduler coalesces missed runs) and relayed when the broker is back: the daily
backup of an outage night is late, not lost, and the log has one error, not a traceback per
job per run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from thebot.outages import OUTAGES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    task_name: str
    seconds: int | None = None
    cron: str | None = None  # crontab expression, UTC

    def trigger(self) -> Any:
        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone="UTC")
        return IntervalTrigger(seconds=self.seconds or 60, timezone="UTC")


def add_periodic_task(
    config: Any, task_name: str, *, seconds: int | None = None, cron: str | None = None
) -> None:
    if bool(seconds) == bool(cron):
        raise ValueError("give exactly one of seconds= or cron=")
    config.registry.setdefault("periodic_tasks", []).append(PeriodicTask(task_name, seconds, cron))


def keep_in_outbox(registry: Any, message: Any) -> bool:
    """Write ``message`` to the outbox unless one of its actor already waits there."""
    from thebot.tasks.outbox import OutboxMessage, _write_session, write

    session = _write_session(registry)  # SQLite: the write lock first, as the relay takes it
    try:
        waiting = session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.actor == message.actor_name).limit(1)
        )
        if waiting is None:
            write(session, message)
        session.commit()
        return waiting is None
    finally:
        session.close()


def send_periodic(registry: Any, task_name: str, watch: Any = None) -> None:
    """The job of one periodic task: send its message; with the broker down, keep it."""
    from thebot.tasks.outbox import BROKER

    actor = registry["task_actors"][task_name]
    message = actor.message()
    try:
        actor.broker.enqueue(message)
    except Exception as exc:  # the broker is down: the relay sends it once it is back
        if watch is not None:
            watch.failed(exc)
        else:
            OUTAGES.failed(BROKER, exc, "periodic tasks wait in the outbox")
        try:
            if keep_in_outbox(registry, message):
                log.info("%s: kept in the outbox until the broker is back", task_name)
        except Exception as db_exc:  # the database is down too: this run is skipped
            OUTAGES.failed("periodic tasks", db_exc, "runs skipped")
        return
    OUTAGES.recovered("periodic tasks")


def build_scheduler(registry: Any, scheduler: Any, watch: Any = None) -> Any:
    """Add one job per periodic task; each job only sends a message (the worker does the work).

    One job runs here instead: the outbox relay, which must work while the broker is down
    (it keeps retrying the messages the web processes could not hand over). ``watch``: the
    ``BrokerWatch`` told about broker failures (``thebot-scheduler``).
    """
    from thebot.tasks.outbox import RELAY_JOB_SECONDS, relay_job

    scheduler.add_job(
        relay_job,
        IntervalTrigger(seconds=RELAY_JOB_SECONDS, timezone="UTC"),
        args=[registry],
        id="thebot.tasks.outbox.relay",
        name="thebot.tasks.outbox.relay",
        coalesce=True,
        max_instances=1,
    )
    for periodic in registry.get("periodic_tasks", []):
        if periodic.task_name not in registry["task_actors"]:  # fail at start, not at run
            raise KeyError(f"periodic task {periodic.task_name!r} has no actor")
        scheduler.add_job(
            send_periodic,
            periodic.trigger(),
            args=[registry, periodic.task_name, watch],
            id=periodic.task_name,
            name=periodic.task_name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=30,
        )
        log.debug(
            "scheduled %s (%s)", periodic.task_name, periodic.cron or f"every {periodic.seconds}s"
        )
    return scheduler


def includeme(config: Any) -> None:
    config.add_directive("add_periodic_task", add_periodic_task)
    config.registry.setdefault("periodic_tasks", [])
    if config.get_settings()["scheduler_in_process"]:

        def start() -> None:
            from apscheduler.schedulers.background import BackgroundScheduler

            from thebot.tasks.lock import LockUnsupported, SchedulerLock

            try:
                lock: SchedulerLock | None = SchedulerLock(config.registry["dbengine"])
            except LockUnsupported as exc:
                log.warning("%s: the in-process scheduler runs unguarded", exc)
                lock = None
            if lock is not None and not lock.acquire():  # thebot-scheduler runs the jobs
                log.warning("another scheduler holds the lock: no in-process scheduler here")
                return
            config.registry["scheduler_lock"] = lock
            scheduler = build_scheduler(config.registry, BackgroundScheduler(timezone="UTC"))
            scheduler.start()
            config.registry["scheduler"] = scheduler

        config.action("thebot.tasks.periodic.start", start, order=10**6 + 1)
