"""``thebot-scheduler production.ini``: enqueue periodic work (run one per deployment)."""

from __future__ import annotations

import logging
import sys

from apscheduler.schedulers.blocking import BlockingScheduler

from thebot.scripts.common import bootstrap_app, parser
from thebot.tasks.periodic import build_scheduler

log = logging.getLogger("thebot.tasks.scheduler")


def main(argv: list[str] | None = None) -> int:
    p = parser("Enqueue the periodic tasks of every feature on their schedule.")
    p.add_argument("--list", action="store_true", help="print the schedule and exit")
    args = p.parse_args(argv)
    env = bootstrap_app(args.config_uri)
    registry = env["registry"]
    if args.list:
        for periodic in registry.get("periodic_tasks", []):
            print(f"{periodic.task_name}\t{periodic.cron or f'every {periodic.seconds}s'}")
        env["closer"]()
        return 0
    scheduler = build_scheduler(registry, BlockingScheduler(timezone="UTC"))
    log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        env["closer"]()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
