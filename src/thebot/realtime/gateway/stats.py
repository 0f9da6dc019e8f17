"""The gateway's own figures: Prometheus series on its port, and a snapshot for the web.

A gateway process serves ``/ws/metrics`` (Prometheus text) itself. The web processes'
``/api/system/metrics/`` and ``/api/system/health/`` show the same figures, summed over the
gateways: each gateway writes a snapshot to Redis every few seconds (``publish_snapshot``),
or, in development, the web process reads its in-process gateway directly.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from thebot.realtime.hub import as_text

# Commit -> frame written: the report promises < 100 ms.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SNAPSHOT_PREFIX = "gateway:"  # after the hub's prefix: ``thebot:realtime:gateway:<id>``
SNAPSHOT_SECONDS = 5
SNAPSHOT_TTL = 20  # a gateway silent this long is gone


class GatewayStats:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.connections = Gauge(
            "thebot_realtime_connections", "Open WebSocket connections", registry=self.registry
        )
        self.delivered = Counter(
            "thebot_realtime_events_delivered",
            "Event frames written to sockets",
            registry=self.registry,
        )
        self.disconnects = Counter(
            "thebot_realtime_disconnects",
            "Sockets closed by the gateway, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "thebot_realtime_delivery_seconds",
            "Commit to frame written, seconds",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._lock = threading.Lock()
        self.open = 0
        self.delivered_total = 0
        self.bucket_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.started = time.time()

    def connected(self, delta: int) -> None:
        with self._lock:
            self.open += delta
            self.connections.set(self.open)

    def closed_by_gateway(self, reason: str) -> None:
        self.disconnects.labels(reason).inc()

    def frame_written(self, committed_at: float) -> None:
        seconds = max(0.0, time.time() - committed_at)
        self.delivered.inc()
        self.latency.observe(seconds)
        with self._lock:
            self.delivered_total += 1
            self.latency_sum += seconds
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self.bucket_counts[index] += 1
                    break
            else:
                self.bucket_counts[-1] += 1

    def snapshot(
        self, users: list[int] | None = None, counts: dict[int, int] | None = None
    ) -> dict[str, Any]:
        """``users``: who is connected (chat's presence); ``counts``: sockets per user
        (the other gateways' share of a user's connection cap)."""
        with self._lock:
            return {
                "users": sorted(users or ()),
                "counts": {str(u): n for u, n in (counts or {}).items()},
                "connections": self.open,
                "delivered": self.delivered_total,
                "buckets": list(self.bucket_counts),
                "latency_sum": self.latency_sum,
                "started": self.started,
                "at": time.time(),
            }


def merge(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures of several gateways summed (what ``/api/system/metrics/`` shows)."""
    total: dict[str, Any] = {
        "gateways": len(snapshots),
        "connections": 0,
        "delivered": 0,
        "buckets": [0] * (len(LATENCY_BUCKETS) + 1),
        "latency_sum": 0.0,
    }
    for snap in snapshots:
        total["connections"] += int(snap.get("connections", 0))
        total["delivered"] += int(snap.get("delivered", 0))
        total["latency_sum"] += float(snap.get("latency_sum", 0.0))
        for index, count in enumerate(snap.get("buckets", [])[: len(total["buckets"])]):
            total["buckets"][index] += int(count)
    return total


def _index_key(hub: Any) -> str:
    """The sorted set of gateway ids by the time of their last snapshot: readers find the
    snapshots without ``SCAN`` (which walks every key of the database: the per-user streams
    and the hub's de-duplication keys, millions in a day's replay window)."""
    return hub.prefix + "gateways"


def publish_snapshot(hub: Any, gateway_id: str, snapshot: dict[str, Any]) -> None:
    """``hub``: the Redis hub (its client and key prefix). One round trip."""
    now = time.time()
    pipe = hub.client.pipeline(transaction=False)
    pipe.set(hub.prefix + SNAPSHOT_PREFIX + gateway_id, json.dumps(snapshot), ex=SNAPSHOT_TTL)
    pipe.zadd(_index_key(hub), {gateway_id: now})
    pipe.zremrangebyscore(_index_key(hub), "-inf", now - SNAPSHOT_TTL)
    pipe.expire(_index_key(hub), SNAPSHOT_TTL * 3)
    pipe.execute()


def _snapshots(hub: Any, skip: str | None = None) -> list[dict[str, Any]]:
    """The live gateways' snapshots (two round trips), but ``skip``'s."""
    ids = [
        as_text(g)
        for g in hub.client.zrangebyscore(_index_key(hub), time.time() - SNAPSHOT_TTL, "+inf")
    ]
    keys = [hub.prefix + SNAPSHOT_PREFIX + g for g in ids if g != skip]
    return [json.loads(raw) for raw in hub.client.mget(keys) if raw] if keys else []


def read_snapshots(hub: Any) -> list[dict[str, Any]]:
    return _snapshots(hub)


def remote_counts(hub: Any, own_id: str) -> dict[int, int]:
    """Sockets per user held by the *other* gateways (from their latest snapshots)."""
    totals: dict[int, int] = {}
    for snap in _snapshots(hub, skip=own_id):
        for user, count in snap.get("counts", {}).items():
            totals[int(user)] = totals.get(int(user), 0) + int(count)
    return totals


def remove_snapshot(hub: Any, gateway_id: str) -> None:
    pipe = hub.client.pipeline(transaction=False)
    pipe.delete(hub.prefix + SNAPSHOT_PREFIX + gateway_id)
    pipe.zrem(_index_key(hub), gateway_id)
    pipe.execute()
