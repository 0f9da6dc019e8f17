"""Cache regions ``default``, ``dashboard`` and ``chat``: Redis when configured, else memory.

Each region counts hits and misses (for the metrics endpoint) through a proxy backend.
"""

from __future__ import annotations

import threading
from typing import Any

from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE
from dogpile.cache.proxy import ProxyBackend
from dogpile.cache.region import CacheRegion

REGIONS = {"default": 300, "dashboard": 60, "chat": 30}  # name -> expiration seconds


class CacheStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.hits: dict[str, int] = {name: 0 for name in REGIONS}
        self.misses: dict[str, int] = {name: 0 for name in REGIONS}

    def record(self, region: str, hit: bool) -> None:
        with self._lock:
            (self.hits if hit else self.misses)[region] += 1

    def ratio(self) -> float | None:
        hits, misses = sum(self.hits.values()), sum(self.misses.values())
        return hits / (hits + misses) if hits + misses else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "hits": dict(self.hits),
            "misses": dict(self.misses),
            "hit_ratio": self.ratio(),
        }


class CountingProxy(ProxyBackend):
    def __init__(self, region: str, stats: CacheStats):
        super().__init__()
        self.region_name = region
        self.stats = stats

    def get(self, key: Any) -> Any:
        value = self.proxied.get(key)
        self.stats.record(self.region_name, value is not NO_VALUE)
        return value

    def get_multi(self, keys: Any) -> Any:
        values = self.proxied.get_multi(keys)
        for value in values:
            self.stats.record(self.region_name, value is not NO_VALUE)
        return values

    # Serializing backends (Redis) are read through these instead of get/get_multi.
    def get_serialized(self, key: Any) -> Any:
        value = self.proxied.get_serialized(key)
        self.stats.record(self.region_name, value is not NO_VALUE)
        return value

    def get_serialized_multi(self, keys: Any) -> Any:
        values = self.proxied.get_serialized_multi(keys)
        for value in values:
            self.stats.record(self.region_name, value is not NO_VALUE)
        return values


def make_regions(settings: dict[str, Any], stats: CacheStats) -> dict[str, CacheRegion]:
    regions = {}
    prefix = settings["redis_key_prefix"]
    for name, expiration in REGIONS.items():
        region = make_region(name=name, key_mangler=lambda key, n=name: f"{prefix}{n}:{key}")
        if settings.get("redis_url"):
            region.configure(
                "dogpile.cache.redis",
                expiration_time=expiration,
                arguments={
                    "url": settings["redis_url"],
                    "redis_expiration_time": expiration * 2,
                    "distributed_lock": True,
                    "thread_local_lock": False,
                    "connection_kwargs": {
                        "socket_timeout": settings["redis_timeout"],
                        "socket_connect_timeout": settings["redis_timeout"],
                    },
                },
                wrap=[CountingProxy(name, stats)],
            )
        else:
            region.configure(
                "dogpile.cache.memory",
                expiration_time=expiration,
                wrap=[CountingProxy(name, stats)],
            )
        regions[name] = region
    return regions


def includeme(config: Any) -> None:
    stats = CacheStats()
    config.registry["cache_stats"] = stats
    config.registry["cache_regions"] = make_regions(config.get_settings(), stats)
    config.add_request_method(
        lambda request: request.registry["cache_regions"], "cache", reify=True
    )
