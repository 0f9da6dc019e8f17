"""Request metrics (a tween) and the Prometheus registry behind ``/api/system/metrics/``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from thebot.tasks import queue_depth

log = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestStats:
    """Totals for the JSON view (Prometheus keeps its own series)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self.errors = 0  # 5xx
        self.client_errors = 0  # 4xx
        self.latency_sum = 0.0

    def record(self, status: int, seconds: float) -> None:
        with self.lock:
            self.total += 1
            self.latency_sum += seconds
            if status >= 500:
                self.errors += 1
            elif status >= 400:
                self.client_errors += 1

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "total": self.total,
                "server_errors": self.errors,
                "client_errors": self.client_errors,
                "error_rate": self.errors / self.total if self.total else 0.0,
                "mean_latency_ms": 1000 * self.latency_sum / self.total if self.total else 0.0,
            }


class RuntimeCollector:
    """Gauges read at scrape time: host resources, DB pool, cache ratio, queue depth."""

    def __init__(self, registry: Any):
        self.registry = registry

    def collect(self) -> Any:
        app = self.registry
        yield _gauge("thebot_cpu_percent", "Host CPU use", psutil.cpu_percent(interval=None))
        yield _gauge("thebot_memory_percent", "Host memory use", psutil.virtual_memory().percent)
        yield _gauge(
            "thebot_disk_percent",
            "Disk use of MEDIA_ROOT's volume",
            disk_percent(app.settings["media_root"]),
        )
        yield _gauge(
            "thebot_process_resident_memory_bytes",
            "Resident memory",
            psutil.Process().memory_info().rss,
        )
        yield _gauge(
            "thebot_db_pool_checked_out", "DB connections in use", db_pool_checked_out(app)
        )
        ratio = app["cache_stats"].ratio()
        yield _gauge(
            "thebot_cache_hit_ratio", "Cache hits / lookups", ratio if ratio is not None else 0.0
        )
        stats = app["request_stats"].as_dict()
        yield _gauge(
            "thebot_http_error_rate", "Share of responses that were 5xx", stats["error_rate"]
        )
        depth = GaugeMetricFamily("thebot_task_queue_depth", "Messages waiting", labels=["queue"])
        try:
            for queue, count in queue_depth(app["task_broker"]).items():
                depth.add_metric([queue], count)
        except Exception as exc:  # an unreachable broker must not break the scrape
            log.warning("queue depth unavailable: %s", exc)
        yield depth


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def disk_percent(path: str) -> float:
    import os

    return psutil.disk_usage(path if os.path.exists(path) else os.getcwd()).percent


def db_pool_checked_out(registry: Any) -> int:
    pool = registry["dbengine"].pool
    checkedout = getattr(pool, "checkedout", None)
    return int(checkedout()) if callable(checkedout) else 0


def setup_metrics(registry: Any) -> None:
    prom = CollectorRegistry(auto_describe=True)
    registry["prometheus"] = prom
    registry["request_stats"] = RequestStats()
    registry["request_count"] = Counter(
        "thebot_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=prom
    )
    registry["request_latency"] = Histogram(
        "thebot_http_request_duration_seconds",
        "HTTP request latency",
        ["method", "route", "status"],
        buckets=LATENCY_BUCKETS,
        registry=prom,
    )
    prom.register(RuntimeCollector(registry))


def metrics_tween_factory(handler: Callable[[Any], Any], registry: Any) -> Callable[[Any], Any]:
    def tween(request: Any) -> Any:
        start = time.perf_counter()
        status = 500
        try:
            response = handler(request)
            status = response.status_code
            return response
        finally:
            elapsed = time.perf_counter() - start
            route = request.matched_route.name if request.matched_route else "unmatched"
            labels = (request.method, route, str(status))
            registry["request_count"].labels(*labels).inc()
            registry["request_latency"].labels(*labels).observe(elapsed)
            registry["request_stats"].record(status, elapsed)

    return tween
