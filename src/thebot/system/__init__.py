"""Health, readiness, metrics, uptime and the public status page."""

from typing import Any


def includeme(config: Any) -> None:
    from pyramid.tweens import EXCVIEW

    from thebot.system.metrics import setup_metrics

    setup_metrics(config.registry)
    config.add_tween(
        "thebot.system.metrics.metrics_tween_factory",
        over=EXCVIEW,
        under="thebot.tweens.gatekeeper_tween_factory",
    )
    config.add_periodic_task(
        "system.record_health_check", seconds=config.get_settings()["health_check_interval"]
    )
    config.scan("thebot.system")
