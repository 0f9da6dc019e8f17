"""Dependency checks (database, Redis, cache, queue) with hard time limits, and host resources."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil
import redis
from sqlalchemy import text

from thebot.db import utcnow
from thebot.outages import OUTAGES, reason
from thebot.system import heartbeats
from thebot.system.heartbeats import SCHEDULER, WORKER, Seen
from thebot.tasks import broker_kind, queue_depth
from thebot.tasks.backlog import oldest_waiting_seconds

log = logging.getLogger(__name__)
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="thebot-check")
DEGRADED_PERCENT = 80.0
UNHEALTHY_PERCENT = 90.0


@dataclass
class CheckResult:
    status: str  # ok | error | disabled
    response_ms: float = 0.0
    error: str | None = None  # the driver's words (hosts, ports): admins and the log only
    details: dict[str, Any] | None = None
    reason: str | None = None  # "unreachable", "timeout", "error": safe for public bodies

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status,
            "response_time_ms": round(self.response_ms, 2),
        }
        if self.reason:
            body["reason"] = self.reason
        if self.error:
            body["error"] = self.error
        if self.details:
            body.update(self.details)
        return body


def timed(
    fn: Callable[[], dict[str, Any] | None], timeout: float, component: str = "dependency"
) -> CheckResult:
    """Run ``fn`` in a worker thread; a hung dependency costs at most ``timeout`` seconds.

    A failure is logged once per outage of ``component`` (probes run every few seconds).
    """
    start = time.perf_counter()
    future = _EXECUTOR.submit(fn)
    try:
        details = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        OUTAGES.failed(component, TimeoutError(f"no answer within {timeout}s"), "health check")
        return CheckResult(
            "error",
            (time.perf_counter() - start) * 1000,
            f"timed out after {timeout}s",
            reason="timeout",
        )
    except Exception as exc:  # any failure of the dependency is a failed check
        OUTAGES.failed(component, exc, "health check")
        return CheckResult(
            "error", (time.perf_counter() - start) * 1000, _reason(exc), reason=reason(exc)
        )
    OUTAGES.recovered(component)
    return CheckResult("ok", (time.perf_counter() - start) * 1000, details=details or None)


def _reason(exc: Exception) -> str:
    text_ = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text_}"[:200]


def redis_client(registry: Any) -> redis.Redis | None:
    url = registry.settings.get("redis_url")
    if not url:
        return None
    client = registry.get("health_redis")
    if client is None:
        timeout = registry.settings["readiness_timeout"]
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        registry["health_redis"] = client
    return client


def check_database(registry: Any) -> CheckResult:
    engine = registry["dbengine"]

    def probe() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return timed(probe, registry.settings["readiness_timeout"], "database")


def check_redis(registry: Any) -> CheckResult:
    client = redis_client(registry)
    if client is None:
        return CheckResult("disabled")

    def probe() -> None:
        client.ping()

    return timed(probe, registry.settings["readiness_timeout"], "redis")


def check_cache(registry: Any) -> CheckResult:
    region = registry["cache_regions"]["default"]
    backend = "redis" if registry.settings.get("redis_url") else "memory"

    def probe() -> dict[str, Any]:
        key = "health-probe"
        region.set(key, time.time())
        region.get(key)
        return {"backend": backend, **registry["cache_stats"].as_dict()}

    return timed(probe, registry.settings["readiness_timeout"], "cache")


IN_PROCESS_STARTED = utcnow()
UNSERVED = "unserved"  # the reason of a queue no live worker serves


def processes(registry: Any, kind: str) -> list[Seen]:
    """The processes of ``kind`` seen lately (heartbeats), plus this process's own threads
    when the in-process worker or scheduler runs here (development)."""
    with registry["dbsession_factory"]() as session:
        seen = heartbeats.recent(session, registry.settings["heartbeat_timeout"], kind)
    here = registry.get("task_worker") if kind == WORKER else registry.get("scheduler")
    if here is not None and getattr(here, "running", True):
        broker = registry["task_broker"]
        queues = sorted(broker.get_declared_queues()) if kind == WORKER else []
        now = utcnow()
        seen.insert(
            0,
            Seen(
                instance="in-process",
                kind=kind,
                host=socket.gethostname(),
                pid=os.getpid(),
                queues=queues,
                state=heartbeats.RUNNING,
                started_at=IN_PROCESS_STARTED,
                last_seen=now,
                live=True,
                in_process=True,
            ),
        )
    return seen


def _listing(seen: list[Seen]) -> dict[str, Any]:
    now = utcnow()
    return {
        "live": sum(1 for p in seen if p.live),
        "processes": [p.as_dict(now) for p in seen],
    }


def _process_check(registry: Any, kind: str, missing: str) -> CheckResult:
    result = timed(lambda: _listing(processes(registry, kind)), _timeout(registry), kind)
    if result.status == "ok" and not (result.details or {}).get("live"):
        result.status, result.error, result.reason = "error", missing, UNSERVED
        result.details = {"live": 0, "processes": [], **(result.details or {})}
    return result


def check_workers(registry: Any) -> CheckResult:
    """``thebot-worker`` processes by heartbeat: error when none is live."""
    return _process_check(registry, WORKER, "no live worker: no thebot-worker heartbeat")


def check_scheduler(registry: Any) -> CheckResult:
    """``thebot-scheduler`` by heartbeat: error when none is live (periodic tasks and the
    outbox relay stop)."""
    return _process_check(registry, SCHEDULER, "no live scheduler: no thebot-scheduler heartbeat")


def check_queue(registry: Any) -> CheckResult:
    """Depth, oldest waiting message and live consumers per queue.

    An error when no worker is live at all, or when a queue holds a message waiting longer
    than ``queue_stale_minutes`` and no live worker consumes that queue.
    """
    broker = registry["task_broker"]
    stale_after = registry.settings["queue_stale_minutes"] * 60
    problems: list[str] = []

    def probe() -> dict[str, Any]:
        depths = queue_depth(broker)
        ages = oldest_waiting_seconds(broker, depths)
        try:
            workers: list[Seen] | None = [p for p in processes(registry, WORKER) if p.live]
        except Exception:  # the database is down: its own check says so; no verdict here
            workers = None
        queues = []
        for queue, depth in depths.items():
            consumers = None if workers is None else sum(1 for w in workers if queue in w.queues)
            age = ages.get(queue)
            queues.append(
                {"name": queue, "depth": depth, "oldest_seconds": age, "consumers": consumers}
            )
            if consumers == 0 and age is not None and age > stale_after:
                problems.append(
                    f"queue {queue!r}: a message has waited {age / 60:.0f} min "
                    "and no live worker consumes it"
                )
        if workers == []:
            problems.insert(0, "no live worker: queued messages are not processed")
        return {"broker": broker_kind(broker), "queue_depth": depths, "queues": queues}

    result = timed(probe, _timeout(registry), "queue")
    if result.status == "ok" and problems:
        result.status, result.error, result.reason = "error", "; ".join(problems), UNSERVED
    return result


def _timeout(registry: Any) -> float:
    return float(registry.settings["readiness_timeout"])


def check_websocket(registry: Any) -> CheckResult:
    probe = registry.get("realtime_probe")  # set by thebot.realtime when a gateway is expected
    if probe is None:
        return CheckResult("disabled", details={"reason": "no websocket gateway configured"})
    return timed(probe, registry.settings["readiness_timeout"], "websocket")


COMPONENT_CHECKS: dict[str, Callable[[Any], CheckResult]] = {
    "database": check_database,
    "cache": check_cache,
    "queue": check_queue,
    "workers": check_workers,
    "scheduler": check_scheduler,
    "redis": check_redis,
    "websocket": check_websocket,
}


def run_component_checks(registry: Any) -> dict[str, CheckResult]:
    return {name: check(registry) for name, check in COMPONENT_CHECKS.items()}


def resource_usage(path: str) -> dict[str, Any]:
    """CPU, memory and disk use with a status per resource."""
    disk_path = path if os.path.exists(path) else os.getcwd()
    process = psutil.Process()
    values = {
        "cpu": psutil.cpu_percent(interval=None),
        "memory": psutil.virtual_memory().percent,
        "disk": psutil.disk_usage(disk_path).percent,
    }
    body: dict[str, Any] = {
        name: {"percent": value, "status": resource_status(value)}
        for name, value in values.items()
    }
    body["process"] = {
        "rss_bytes": process.memory_info().rss,
        "threads": process.num_threads(),
        "cpu_percent": process.cpu_percent(interval=None),
    }
    return body


def resource_status(percent: float) -> str:
    if percent > UNHEALTHY_PERCENT:
        return "unhealthy"
    if percent > DEGRADED_PERCENT:
        return "degraded"
    return "healthy"


def worst(statuses: list[str]) -> str:
    order = ["healthy", "degraded", "unhealthy"]
    return max(statuses, key=order.index) if statuses else "healthy"
