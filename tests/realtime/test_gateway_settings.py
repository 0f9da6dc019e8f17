"""Production rules of the gateway settings (``thebot-check-config``)."""

from __future__ import annotations

from thebot.realtime.settings import check


def base(**values):
    return {
        "realtime_public_url": "wss://rt.example.com",
        "realtime_listen": "localhost:6544",
        "realtime_in_process": False,
        "realtime_hub": "auto",
        "redis_url": "redis://cache:6379/0",
        **values,
    }


def test_a_production_gateway_is_reached_over_wss():
    assert check(base()) == ([], [])
    errors, _ = check(base(realtime_public_url="ws://rt.example.com"))
    assert errors == ["REALTIME_PUBLIC_URL must be a wss:// URL, not 'ws://rt.example.com'."]
    _, warnings = check(base(realtime_public_url=None))
    assert "REALTIME_PUBLIC_URL is unset" in warnings[0]


def test_an_in_process_or_memory_hub_is_a_warning_and_redis_needs_its_url():
    assert "REALTIME_IN_PROCESS" in check(base(realtime_in_process=True))[1][0]
    assert "memory" in check(base(realtime_hub="memory"))[1][0]
    assert check(base(realtime_hub="redis", redis_url=None))[0] == [
        "REALTIME_HUB is redis but REDIS_URL is unset."
    ]
