"""Periodic work: features register actors with ``config.add_periodic_task``.

``thebot-scheduler`` (one per deployment) enqueues them on their schedule with APScheduler;
in development the same jobs can run inside the web process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

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


def build_scheduler(registry: Any, scheduler: Any) -> Any:
    """Add one job per periodic task; each job only sends a message (the worker does the work).

    One job runs here instead: the outbox relay, which must work while the broker is down
    (it keeps retrying the messages the web processes could not hand over).
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
        actor = registry["task_actors"][periodic.task_name]
        scheduler.add_job(
            actor.send,
            periodic.trigger(),
            id=periodic.task_name,
            name=periodic.task_name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=30,
        )
        log.info(
            "scheduled %s (%s)", periodic.task_name, periodic.cron or f"every {periodic.seconds}s"
        )
    return scheduler


def includeme(config: Any) -> None:
    config.add_directive("add_periodic_task", add_periodic_task)
    config.registry.setdefault("periodic_tasks", [])
    if config.get_settings()["scheduler_in_process"]:

        def start() -> None:
            from apscheduler.schedulers.background import BackgroundScheduler

            scheduler = build_scheduler(config.registry, BackgroundScheduler(timezone="UTC"))
            scheduler.start()
            config.registry["scheduler"] = scheduler

        config.action("thebot.tasks.periodic.start", start, order=10**6 + 1)
