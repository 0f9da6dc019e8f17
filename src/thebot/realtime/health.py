"""The gateways as the web process reports them: ``websocket`` in ``/api/system/health/``
and the ``thebot_realtime_*`` series in ``/api/system/metrics/``.

In development the web process asks its in-process gateway; otherwise it sums the snapshots
the gateways write to Redis every few seconds (``gateway.stats``). The health component is
checked when a gateway is expected (in-process, or ``REALTIME_PUBLIC_URL`` set): no gateway
reporting is then an error; otherwise it stays ``disabled``.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from thebot.realtime.gateway.stats import LATENCY_BUCKETS, merge, read_snapshots

PROBE_KEY = "realtime_probe"  # registry: the websocket health check (thebot.system.checks)
PRESENCE_KEY = "realtime_presence"  # registry: user ids -> the connected ones (chat)


def figures(registry: Any) -> dict[str, Any] | None:
    """The gateways' summed figures, or ``None`` when nothing can report them."""
    gateway = registry.get("realtime_gateway")
    if gateway is not None:
        return merge([gateway.gateway.stats.snapshot()] if gateway.gateway.ready else [])
    hub = registry["realtime_hub"]
    if hub.kind == "redis":
        return merge(read_snapshots(hub))
    return None


def connected(registry: Any, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` hold a socket now (as of the gateways' last snapshots).

    With the Redis hub the union of the snapshots is kept ``PRESENCE_CACHE_SECONDS`` in the
    process: every chat message asks, and the snapshots change only every few seconds."""
    gateway = registry.get("realtime_gateway")
    if gateway is not None:
        online: frozenset[int] | set[int] = gateway.gateway.users()
    elif registry["realtime_hub"].kind == "redis":
        online = _online_from_snapshots(registry)
    else:
        online = set()
    return set(online.intersection(int(u) for u in user_ids))


PRESENCE_CACHE_SECONDS = 1.0
_PRESENCE_CACHE = "realtime_presence_cache"  # registry: (expires at, monotonic; users)


def _online_from_snapshots(registry: Any) -> frozenset[int]:
    cached = registry.get(_PRESENCE_CACHE)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    snapshots = read_snapshots(registry["realtime_hub"])
    online = frozenset(int(u) for snap in snapshots for u in snap.get("users", ()))
    registry[_PRESENCE_CACHE] = (now + PRESENCE_CACHE_SECONDS, online)
    return online


def probe(registry: Any) -> dict[str, Any]:
    """Raise when no gateway is up; details otherwise."""
    found = figures(registry)
    if not found or not found["gateways"]:
        raise RuntimeError("no realtime gateway is running")
    return {"gateways": found["gateways"], "connections": found["connections"]}


class GatewayCollector:
    def __init__(self, registry: Any):
        self.registry = registry

    def collect(self) -> Any:
        try:
            found = figures(self.registry)
        except Exception:  # Redis down: the scrape goes on without these series
            found = None
        if found is None:
            return
        yield GaugeMetricFamily(
            "thebot_realtime_gateways", "Gateways reporting", value=found["gateways"]
        )
        yield GaugeMetricFamily(
            "thebot_realtime_connections", "Open WebSocket connections", value=found["connections"]
        )
        yield CounterMetricFamily(
            "thebot_realtime_events_delivered",
            "Event frames written to sockets",
            value=found["delivered"],
        )
        cumulative, buckets = 0, []
        bounds = [*map(str, LATENCY_BUCKETS), "+Inf"]
        for bound, count in zip(bounds, found["buckets"], strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(
            "thebot_realtime_delivery_seconds",
            "Commit to frame written, seconds",
            buckets=buckets,
            sum_value=found["latency_sum"],
        )


def setup(registry: Any) -> None:
    settings = registry.settings
    registry[PRESENCE_KEY] = lambda user_ids: connected(registry, user_ids)
    if settings["realtime_in_process"] or settings.get("realtime_public_url"):
        registry[PROBE_KEY] = lambda: probe(registry)
    prometheus = registry.get("prometheus")
    if prometheus is not None:
        prometheus.register(GatewayCollector(registry))
