"""Role dashboards: sections registered per role, cached per viewer, invalidated by events."""

from typing import Any


def includeme(config: Any) -> None:
    import thebot.dashboards.sections.cards
    import thebot.dashboards.sections.student
    import thebot.dashboards.sections.teacher  # noqa: F401
    from thebot.accounts.events import PeopleChanged
    from thebot.dashboards.cache import forget_every_dashboard
    from thebot.dashboards.subscribers import refresh_dashboards
    from thebot.events import Committing, DataReplaced

    config.add_subscriber(forget_every_dashboard(config.registry), DataReplaced)
    config.add_subscriber(refresh_dashboards, [Committing, PeopleChanged])
    config.scan("thebot.dashboards")
