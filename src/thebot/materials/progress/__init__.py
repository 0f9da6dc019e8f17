"""Students' progress on materials and the profile figures it feeds (``service``); the
progress API (``views``); features add their share of points with
``config.add_points_source(name, source)``."""

from typing import Any


def add_points_source(config: Any, name: str, source: Any) -> None:
    """``config.add_points_source``: add (or replace) a source of points, summed into
    ``StudentProfile.points`` at every recomputation (``service.PointsSource``)."""
    from thebot.materials.progress.service import POINTS_SOURCES

    config.registry.setdefault(POINTS_SOURCES, {})[name] = source


def includeme(config: Any) -> None:
    from thebot.catalog.events import EnrollmentChanged
    from thebot.events import Committing
    from thebot.materials.events import MaterialAssigned, MaterialChanged
    from thebot.materials.progress.subscribers import (
        refresh_enrolled_stats,
        refresh_reached_stats,
    )

    config.add_directive("add_points_source", add_points_source)
    config.add_subscriber(refresh_reached_stats, [Committing, MaterialChanged])
    config.add_subscriber(refresh_reached_stats, [Committing, MaterialAssigned])
    config.add_subscriber(refresh_enrolled_stats, [Committing, EnrollmentChanged])
