"""Role dashboards: sections added per role (``config.add_dashboard_section``), cached per
viewer, made stale by the domain events of the features they show."""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.dashboards.registry import add_dashboard_section
    from thebot.dashboards.subscribers import subscribe

    config.add_directive("add_dashboard_section", add_dashboard_section)
    config.include("thebot.dashboards.sections.student")
    config.include("thebot.dashboards.sections.teacher")
    config.include("thebot.dashboards.sections.cards")
    subscribe(config)
    config.scan("thebot.dashboards")
