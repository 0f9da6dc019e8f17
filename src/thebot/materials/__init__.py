"""Learning core: subjects, enrollments, materials, progress, media files and dashboards."""

from typing import Any


def includeme(config: Any) -> None:
    import thebot.materials.dashboard_cards  # the sections of the dashboards, per role
    import thebot.materials.dashboard_student
    import thebot.materials.dashboard_teacher
    import thebot.materials.visibility  # noqa: F401  (registers the enrollment relation)
    from thebot.accounts.changes import PeopleChanged
    from thebot.events import Committing, DataReplaced
    from thebot.materials.account_hooks import refresh_dashboards
    from thebot.materials.dashboard_cache import forget_every_dashboard

    config.include("thebot.materials.events")  # subscribers: dashboards, notifications
    config.add_subscriber(forget_every_dashboard(config.registry), DataReplaced)
    config.add_subscriber(refresh_dashboards, [Committing, PeopleChanged])
    config.scan("thebot.materials")
