"""thebot.scheduling.series.service."""
