"""thebot.dashboards.sections."""
